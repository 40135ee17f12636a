#!/usr/bin/env bash
# Start the local services the tests talk to, where one is installed but not listening.
# Never fails the build itself: a service still missing makes its tests fail loudly.
set -u
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
start() {
  local port=$1; shift
  if up "$port"; then return 0; fi
  echo "ci: port $port is closed; starting: $*"
  "$@" >/dev/null 2>&1 || echo "ci: could not start the service on port $port"
  for _ in $(seq 1 30); do up "$port" && return 0; sleep 1; done
  echo "ci: nothing listens on port $port"
}
if command -v pg_ctlcluster >/dev/null; then
  start 5432 pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
if [ -x /usr/sbin/mariadbd ]; then
  start 3306 start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
if command -v rabbitmq-server >/dev/null; then start 5672 rabbitmq-server -detached; fi
if [ -x /usr/sbin/nats-server ]; then
  start 4222 start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
# Debian's chromium for the browser tests is installed by `make test` (target browser).
exit 0
