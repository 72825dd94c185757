/* LD_PRELOAD library for the relay benchmark (bench/relay/run.sh): counts malloc, calloc,
 * realloc and aligned allocations of the process it is loaded into (operator new goes through
 * malloc) and prints the totals to stderr at exit, as one line:
 *   alloc_counter: allocations=N
 * The harness runs the relay twice with different amounts of traffic; the difference in
 * allocations divided by the difference in forwarded packets is allocations per packet.
 * Thread-safe (relaxed atomic counter: only the final total matters). */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void* __libc_malloc(size_t size);
extern void* __libc_calloc(size_t count, size_t size);
extern void* __libc_realloc(void* pointer, size_t size);
extern void* __libc_memalign(size_t alignment, size_t size);

static atomic_ullong g_allocations;

void* malloc(size_t size) {
    atomic_fetch_add_explicit(&g_allocations, 1, memory_order_relaxed);
    return __libc_malloc(size);
}

void* calloc(size_t count, size_t size) {
    atomic_fetch_add_explicit(&g_allocations, 1, memory_order_relaxed);
    return __libc_calloc(count, size);
}

void* realloc(void* pointer, size_t size) {
    atomic_fetch_add_explicit(&g_allocations, 1, memory_order_relaxed);
    return __libc_realloc(pointer, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
    atomic_fetch_add_explicit(&g_allocations, 1, memory_order_relaxed);
    void* pointer = __libc_memalign(alignment, size);
    if (pointer == NULL)
        return 12; /* ENOMEM */
    *out = pointer;
    return 0;
}

void* aligned_alloc(size_t alignment, size_t size) {
    atomic_fetch_add_explicit(&g_allocations, 1, memory_order_relaxed);
    return __libc_memalign(alignment, size);
}

__attribute__((destructor)) static void reportAllocations(void) {
    char line[64];
    const int length = snprintf(line, sizeof line, "alloc_counter: allocations=%llu\n",
                                (unsigned long long)atomic_load(&g_allocations));
    if (length > 0)
        (void)!write(STDERR_FILENO, line, (size_t)length);
}
