# Real servers for end-to-end tests: nginx with WebDAV as a Bazel HTTP cache, and a throwaway
# PostgreSQL cluster. Each listens on a free 127.0.0.1 port in a directory under $E2E_TMP and is
# stopped by its PID when the test exits. Source after lib.sh: . "$(dirname "$0")/servers.sh"
# A server that cannot start skips the test on a developer machine and fails it under CI=true.

SERVER_PIDS=()
stop_servers() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${SERVER_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$E2E_TMP"
}
trap stop_servers EXIT

server_unavailable() { # server_unavailable WHAT
  case "${CI:-}" in
    ""|0|false) echo "SKIP: $1"; exit 0 ;;
    *) echo "FAIL: $1, and CI=true: scripts/install-deps.sh installs it" >&2; exit 1 ;;
  esac
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Directories the unprivileged server user must reach when the test runs as root (nginx's
# workers and PostgreSQL then run as nobody). Nothing is changed for other users.
open_path_for_others() {
  [ "$(id -u)" -eq 0 ] || return 0
  local d="$1"
  while [ "$d" != "/" ] && [ -n "$d" ]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
}

# start_nginx_cache: sets NGINX_DIR, NGINX_PORT, NGINX_PID, CACHE_URL (http://127.0.0.1:PORT).
# Blobs land under $NGINX_DIR/data/{ac,cas}/. Under /private/ the server asks for HTTP basic
# auth: user "sluice", password "cache-pw".
start_nginx_cache() {
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || server_unavailable "nginx is not installed"
  local nginx_bin; nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  NGINX_DIR="$E2E_TMP/nginx"
  mkdir -p "$NGINX_DIR/data" "$NGINX_DIR/tmp" "$NGINX_DIR/logs"
  chmod 0777 "$NGINX_DIR/data" "$NGINX_DIR/tmp"
  printf 'sluice:%s\n' "$(openssl passwd -apr1 cache-pw 2>/dev/null)" >"$NGINX_DIR/htpasswd"
  chmod 0644 "$NGINX_DIR/htpasswd"
  open_path_for_others "$NGINX_DIR"
  local tries
  for tries in 1 2 3; do
    NGINX_PORT=$(free_port)
    cat >"$NGINX_DIR/nginx.conf" <<EOF
daemon off;
error_log $NGINX_DIR/logs/error.log;
pid $NGINX_DIR/nginx.pid;
worker_processes 1;
events { worker_connections 256; }
http {
  access_log $NGINX_DIR/logs/access.log;
  client_body_temp_path $NGINX_DIR/tmp;
  proxy_temp_path $NGINX_DIR/tmp;
  fastcgi_temp_path $NGINX_DIR/tmp;
  uwsgi_temp_path $NGINX_DIR/tmp;
  scgi_temp_path $NGINX_DIR/tmp;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $NGINX_DIR/data;
    location / {
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw group:rw all:rw;
    }
    location /private/ {
      auth_basic "sluice cache";
      auth_basic_user_file $NGINX_DIR/htpasswd;
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw group:rw all:rw;
    }
  }
}
EOF
    "$nginx_bin" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" >"$NGINX_DIR/logs/stdout" 2>&1 &
    NGINX_PID=$!
    SERVER_PIDS+=("$NGINX_PID")
    for _ in $(seq 50); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$NGINX_PORT") 2>/dev/null; then
        CACHE_URL="http://127.0.0.1:$NGINX_PORT"
        return 0
      fi
      kill -0 "$NGINX_PID" 2>/dev/null || break
      sleep 0.1
    done
  done
  cat "$NGINX_DIR/logs/error.log" "$NGINX_DIR/logs/stdout" >&2 2>/dev/null
  server_unavailable "nginx did not start"
}

stop_nginx() {
  kill -TERM "$NGINX_PID" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$NGINX_PID" 2>/dev/null || true
}

# start_postgres [PASSWORD]: a throwaway cluster (initdb + pg_ctl) listening on a unix socket in
# $PG_DIR/sock and on 127.0.0.1:$PG_PORT. Local (socket) connections are trusted; TCP ones need
# the password of user "sluice" when one is given. Sets PG_DIR, PG_PORT, PG_PID, PG_URL (socket,
# database "sluice"), PG_TCP_URL (TCP, no password in it).
PG_BIN=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && PG_BIN="$d"; done
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
start_postgres() {
  local password="${1:-}"
  [ -n "$PG_BIN" ] || server_unavailable "PostgreSQL (postgresql-15) is not installed"
  PG_DIR="$E2E_TMP/pg"
  mkdir -p "$PG_DIR/sock"
  open_path_for_others "$PG_DIR"
  # initdb refuses to run as root: the cluster belongs to nobody then.
  [ "$(id -u)" -eq 0 ] && chown -R nobody "$PG_DIR"
  local auth_host=trust
  if [ -n "$password" ]; then
    echo "$password" >"$PG_DIR/pw"; chmod 600 "$PG_DIR/pw"
    [ "$(id -u)" -eq 0 ] && chown nobody "$PG_DIR/pw"
    auth_host=scram-sha-256
  fi
  if ! pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U sluice --auth-local=trust --auth-host="$auth_host" \
      ${password:+--pwfile="$PG_DIR/pw"} -E UTF8 --no-sync >"$PG_DIR/initdb.log" 2>&1; then
    cat "$PG_DIR/initdb.log" >&2
    server_unavailable "initdb failed"
  fi
  local tries
  for tries in 1 2 3; do
    PG_PORT=$(free_port)
    if pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
        -o "-p $PG_PORT -k $PG_DIR/sock -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off" \
        start >/dev/null 2>&1; then
      PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
      SERVER_PIDS+=("$PG_PID")
      pg_as_owner "$PG_BIN/createdb" -h "$PG_DIR/sock" -p "$PG_PORT" -U sluice sluice || server_unavailable "createdb failed"
      PG_URL="postgresql://sluice@/sluice?host=$PG_DIR/sock&port=$PG_PORT"
      PG_TCP_URL="postgresql://sluice@127.0.0.1:$PG_PORT/sluice"
      return 0
    fi
  done
  cat "$PG_DIR/server.log" >&2
  server_unavailable "PostgreSQL did not start"
}

# pg_createdb NAME: another database in the cluster; sets PG_DB_URL to it (socket).
pg_createdb() {
  pg_as_owner "$PG_BIN/createdb" -h "$PG_DIR/sock" -p "$PG_PORT" -U sluice "$1" || fail "createdb $1"
  PG_DB_URL="postgresql://sluice@/$1?host=$PG_DIR/sock&port=$PG_PORT"
}
