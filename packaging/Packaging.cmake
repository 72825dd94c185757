# Debian packages with CPack (included from the top-level CMakeLists.txt):
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j && \
#   (cd build && cpack -G DEB)
# makes, named as Debian names them (DEB-DEFAULT):
#   diyuma_<version>_amd64.deb        the desktop app (component "app"; only if the app target
#                                     exists: DIYUMA_WITH_QT=ON and app/ builds)
#   diyuma-relay_<version>_amd64.deb  diyuma-relay, diyuma-cli, diyuma-netsim, the systemd unit,
#                                     the example config /etc/diyuma-relay/relay.toml, man pages
# Binaries are stripped; dependencies come from dpkg-shlibdeps. Each package has
# /usr/share/doc/<package>/copyright and changelog.gz (lintian insists on a changelog; the
# version has no Debian revision, so it is a native package's changelog.gz).
include(GNUInstallDirs)

set(_pkg_dir ${CMAKE_CURRENT_LIST_DIR})
set(_pkg_gen ${CMAKE_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${_pkg_gen})
find_program(DIYUMA_GZIP gzip REQUIRED)

# SOURCE_DATE_EPOCH, if set, makes the changelog date (and so the package) reproducible.
if(DEFINED ENV{SOURCE_DATE_EPOCH})
    set(_pkg_epoch $ENV{SOURCE_DATE_EPOCH})
else()
    string(TIMESTAMP _pkg_epoch "%s" UTC)
endif()
execute_process(COMMAND date -u -R -d @${_pkg_epoch} OUTPUT_VARIABLE _pkg_date
                OUTPUT_STRIP_TRAILING_WHITESPACE)

# gzip -9n: what Debian expects for man pages and changelogs (no name, no time stamp inside).
function(diyuma_gzip_file input output)
    add_custom_command(OUTPUT ${output}
                       COMMAND ${DIYUMA_GZIP} -9nc ${input} > ${output}
                       DEPENDS ${input} VERBATIM)
endfunction()

# Copyright and changelog for package `pkg`, installed with `component`.
function(diyuma_package_docs pkg component)
    set(PKG ${pkg})
    set(VERSION ${PROJECT_VERSION})
    set(DATE ${_pkg_date})
    configure_file(${_pkg_dir}/common/changelog.in ${_pkg_gen}/${pkg}/changelog @ONLY)
    diyuma_gzip_file(${_pkg_gen}/${pkg}/changelog ${_pkg_gen}/${pkg}/changelog.gz)
    add_custom_target(diyuma_docs_${component} ALL DEPENDS ${_pkg_gen}/${pkg}/changelog.gz)
    install(FILES ${_pkg_dir}/common/copyright ${_pkg_gen}/${pkg}/changelog.gz
            DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${pkg} COMPONENT ${component})
endfunction()

set(_pkg_components)

# --- diyuma-relay: relay, CLI, netsim, unit, example config, man pages ---------------------------
if(TARGET diyuma-relay AND TARGET diyuma-cli)
    list(APPEND _pkg_components relay)
    # diyuma-relay's own install() rule is in relay/ (component relay); diyuma-cli's rule in
    # tools/cli/ has no component, so it is installed here again for the package.
    # diyuma-netsim's rule in tools/netsim/ names the component itself.
    install(TARGETS diyuma-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT relay)
    # Absolute: the package's prefix is /usr, but units and configuration live outside it.
    install(FILES ${_pkg_dir}/relay/diyuma-relay.service DESTINATION /lib/systemd/system
            COMPONENT relay)
    install(FILES ${_pkg_dir}/relay/relay.toml DESTINATION /etc/diyuma-relay COMPONENT relay)
    foreach(_page diyuma-relay diyuma-cli diyuma-netsim)
        diyuma_gzip_file(${_pkg_dir}/relay/${_page}.1 ${_pkg_gen}/${_page}.1.gz)
        list(APPEND _pkg_man_pages ${_pkg_gen}/${_page}.1.gz)
    endforeach()
    add_custom_target(diyuma_man_pages ALL DEPENDS ${_pkg_man_pages})
    install(FILES ${_pkg_man_pages} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT relay)
    install(FILES ${_pkg_dir}/grafana-dashboard.json
            DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/diyuma-relay/examples COMPONENT relay)
    diyuma_package_docs(diyuma-relay relay)
endif()

# --- diyuma: the desktop app ---------------------------------------------------------------
if(TARGET diyuma)
    list(APPEND _pkg_components app)
    install(TARGETS diyuma RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT app)
    # The .desktop file registers the diyuma:// URL scheme (MimeType=x-scheme-handler/diyuma).
    if(EXISTS ${_pkg_dir}/diyuma.desktop)
        install(FILES ${_pkg_dir}/diyuma.desktop
                DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/applications COMPONENT app)
    endif()
    foreach(_size 16x16 32x32 48x48 64x64 128x128 256x256 512x512)
        set(_icon ${PROJECT_SOURCE_DIR}/resources/icons/hicolor/${_size}/apps/diyuma.png)
        if(EXISTS ${_icon})
            install(FILES ${_icon}
                    DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/icons/hicolor/${_size}/apps
                    COMPONENT app)
        endif()
    endforeach()
    if(EXISTS ${PROJECT_SOURCE_DIR}/resources/icons/diyuma.svg)
        install(FILES ${PROJECT_SOURCE_DIR}/resources/icons/diyuma.svg
                DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/icons/hicolor/scalable/apps
                COMPONENT app)
    endif()
    diyuma_gzip_file(${_pkg_dir}/app/diyuma.1 ${_pkg_gen}/diyuma.1.gz)
    add_custom_target(diyuma_app_man_page ALL DEPENDS ${_pkg_gen}/diyuma.1.gz)
    install(FILES ${_pkg_gen}/diyuma.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT app)
    # Translations are compiled into the binary (qt_add_translations, :/i18n).
    diyuma_package_docs(diyuma app)
endif()

set(CPACK_PACKAGE_NAME diyuma)
set(CPACK_PACKAGE_VENDOR "Diyuma Conference")
set(CPACK_PACKAGE_CONTACT "Diyuma Conference maintainers <maintainers@diyuma.example.org>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL ${_pkg_components})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://diyuma.example.org/")

set(CPACK_DEBIAN_RELAY_PACKAGE_NAME diyuma-relay)
set(CPACK_DEBIAN_RELAY_PACKAGE_SECTION net)
set(CPACK_COMPONENT_RELAY_DESCRIPTION
    "Diyuma Conference relay and headless client
diyuma-relay forwards the audio and video of Diyuma Conference calls between
participants over UDP; it never decodes, mixes or decrypts media. It runs as a sandboxed
systemd service with a TOML configuration, Prometheus metrics and a health
check. diyuma-cli creates and joins conferences without a display or sound
card; diyuma-netsim is a UDP impairment proxy (loss, delay, jitter, rate
limits) for testing calls over bad networks.")
set(CPACK_DEBIAN_RELAY_PACKAGE_CONTROL_EXTRA ${_pkg_dir}/relay/conffiles ${_pkg_dir}/relay/postinst
                                             ${_pkg_dir}/relay/prerm ${_pkg_dir}/relay/postrm)

set(CPACK_DEBIAN_APP_PACKAGE_NAME diyuma)
set(CPACK_DEBIAN_APP_PACKAGE_SECTION net)
set(CPACK_COMPONENT_APP_DESCRIPTION
    "desktop conferencing app: start a call, share a link, talk and see
Start a conference, share its short ID or invite link, and talk with and see
everyone who joins. Opens diyuma:// invite links.")
# Qt Multimedia reaches cameras through GStreamer's Video4Linux source (plugins-good).
set(CPACK_DEBIAN_APP_PACKAGE_RECOMMENDS "gstreamer1.0-plugins-good")

include(CPack)
