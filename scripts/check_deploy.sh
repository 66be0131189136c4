#!/usr/bin/env bash
# Django's deployment checklist (`check --deploy`) under a production-like environment: DEBUG off,
# a freshly generated secret, a real host name and a throwaway SQLite database. Any warning fails.
# Run it in both payment modes, since the Content-Security-Policy differs between them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

secret="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
check() {
  env -u DEBUG -u SECRET_KEY -u FIELDFRIENDS_TESTING \
    DJANGO_SECRET_KEY="$secret" \
    ALLOWED_HOSTS=fieldfriends.example \
    DATABASE_URL="sqlite:///$tmp/deploy.sqlite3" \
    "$@" "$PY" manage.py check --deploy --fail-level WARNING
}

echo "-- check --deploy (bill_to_account)"
check PAYMENTS_PROVIDER=bill_to_account
echo "-- check --deploy (stripe)"
check PAYMENTS_PROVIDER=stripe STRIPE_SECRET_KEY=sk_test_deploycheck \
  STRIPE_PUBLISHABLE_KEY=pk_test_deploycheck STRIPE_WEBHOOK_SECRET=whsec_deploycheck
