# Sourced by .ci/run: start a throwaway Redis on loopback that never writes to disk (no RDB
# snapshots, no append-only file: stream windows hold message text) and export its URL.
redis_dir=$(mktemp -d /tmp/groomwatch-redis.XXXXXX)
redis-server --bind 127.0.0.1 --port 56379 --save "" --appendonly no --dir "$redis_dir" \
    --daemonize yes --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/log"
for _ in $(seq 50); do
    redis-cli -p 56379 ping >/dev/null 2>&1 && break
    sleep 0.1
done
export GROOMWATCH_TEST_REDIS_URL="redis://127.0.0.1:56379/0"
on_exit "redis-cli -p 56379 shutdown nosave >/dev/null 2>&1 || true; rm -rf $redis_dir"
echo "Redis for tests at $GROOMWATCH_TEST_REDIS_URL"
