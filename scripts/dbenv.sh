# Sourced by the Makefile: exports DATABASE_URL, starting the embedded PostgreSQL under var/ if none is set.
if [ -z "${DATABASE_URL:-}" ]; then
  DATABASE_URL="$(.venv/bin/python scripts/embedded_pg.py start)" || { echo "could not start the embedded PostgreSQL" >&2; exit 1; }
  export DATABASE_URL
  echo "Using the embedded PostgreSQL (data in var/pgdata; 'make stop' stops it)."
fi
