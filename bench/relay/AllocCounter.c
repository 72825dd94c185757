/* LD_PRELOAD library for the relay benchmark (bench/relay/run.sh): counts malloc, calloc,
 * realloc and aligned allocations of the process it is loaded into (operator new goes through
 * malloc) and prints the totals to stderr at exit, as one line:
 *   alloc_counter: allocations=N
 * The harness runs the relay twice with different amounts of traffic; the difference in
 * allocations divided by the difference in forwarded packets is allocations per packet.
 * On SIGUSR2 it also prints the count so far, as
 *   alloc_counter: mark allocations=N
 * (bench_relay_load --mark-pid sends one at the start and one at the end of its load window,
 * so start-up, set-up and shutdown are left out within one run; the relay does not use
 * SIGUSR2). Thread-safe (relaxed atomic counter: only totals matter). */
#define _GNU_SOURCE
#include <signal.h>
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

/* Async-signal-safe: formats the number by hand and writes once. */
static void onMark(int signal) {
    (void)signal;
    char line[64] = "alloc_counter: mark allocations=";
    size_t length = strlen(line);
    char digits[24];
    size_t count = 0;
    unsigned long long value = atomic_load_explicit(&g_allocations, memory_order_relaxed);
    do {
        digits[count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (count > 0)
        line[length++] = digits[--count];
    line[length++] = '\n';
    (void)!write(STDERR_FILENO, line, length);
}

__attribute__((constructor)) static void installMark(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = onMark;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    (void)sigaction(SIGUSR2, &action, NULL);
}

__attribute__((destructor)) static void reportAllocations(void) {
    char line[64];
    const int length = snprintf(line, sizeof line, "alloc_counter: allocations=%llu\n",
                                (unsigned long long)atomic_load(&g_allocations));
    if (length > 0)
        (void)!write(STDERR_FILENO, line, (size_t)length);
}
