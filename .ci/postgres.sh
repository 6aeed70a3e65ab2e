# Sourced by .ci/run: start a throwaway PostgreSQL cluster on loopback and export its URL.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_dir=$(mktemp -d /tmp/groomwatch-pg.XXXXXX)
chown postgres "$pg_dir"
su postgres -c "$pg_bin/initdb -D $pg_dir/data -A trust -U postgres" >/dev/null
su postgres -c "$pg_bin/pg_ctl -D $pg_dir/data -o '-h 127.0.0.1 -p 55432 -k $pg_dir' -l $pg_dir/log -w start" >/dev/null
su postgres -c "$pg_bin/createdb -h 127.0.0.1 -p 55432 -U postgres groomwatch_test"
export GROOMWATCH_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:55432/groomwatch_test"
on_exit "su postgres -c \"$pg_bin/pg_ctl -D $pg_dir/data -m fast stop\" >/dev/null 2>&1 || true"
echo "PostgreSQL for tests at $GROOMWATCH_TEST_POSTGRES_URL"
