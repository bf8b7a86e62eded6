#!/usr/bin/env bash
# The system packages the other engines and the report's browser test need, from Debian's registry: a
# PostgreSQL server (initdb, pg_ctl), Java 17 for Spark, and Chromium (tests/test_report.py opens the HTML
# report in it through Playwright; Playwright's own browser download needs the internet). Installs only what
# is missing. The tests start their own throwaway PostgreSQL
# server on 127.0.0.1; the cluster Debian's package creates is not used.
# Exit status 1 when something could not be installed: the engine tests then fail saying what is missing.
set -uo pipefail

missing=()
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
fi
# pyspark 4 needs Java 17 or newer
java_major="$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)"
if [ -z "$java_major" ] || [ "$java_major" -lt 17 ]; then
    missing+=(openjdk-17-jre-headless)
fi
browser=()
if [ ! -x /usr/bin/chromium ]; then
    browser+=(chromium)
fi
if [ ${#missing[@]} -eq 0 ] && [ ${#browser[@]} -eq 0 ]; then
    echo "install_engines: PostgreSQL, Java and Chromium are installed."
    exit 0
fi

echo "install_engines: installing ${missing[*]} ${browser[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
status=0
if ! $sudo apt-get update -q; then
    echo "install_engines: apt-get update failed; the PostgreSQL, Spark and report tests may fail." >&2
    exit 1
fi
if [ ${#missing[@]} -gt 0 ] && ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    echo "install_engines: could not install ${missing[*]}; the PostgreSQL and Spark tests will fail." >&2
    status=1
fi
# Chromium with its recommended packages (fonts), so that the report's screenshot has text.
if [ ${#browser[@]} -gt 0 ] && ! $sudo apt-get install -y -q chromium; then
    echo "install_engines: could not install chromium; the report's browser test will fail." >&2
    status=1
fi
exit "$status"
