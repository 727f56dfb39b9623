# Starting Debian's docker-registry (2.8) for tests and benchmarks. Source it after lib.sh (or
# on its own in a bench script). Each registry gets a free 127.0.0.1 port, a storage directory
# under DIR and deletion enabled, optionally htpasswd (bcrypt) Basic auth; stop it by its PID.

# free_port: a port nothing listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_registry DIR [USER PASSWORD]: sets REG_PORT, REG_PID and REG (127.0.0.1:PORT).
start_registry() {
  local dir=$1 user=${2:-} password=${3:-}
  mkdir -p "$dir/storage"
  REG_PORT=$(free_port)
  {
    echo "version: 0.1"
    echo "log: {level: error, accesslog: {disabled: true}}"
    echo "storage: {filesystem: {rootdirectory: $dir/storage}, delete: {enabled: true}}"
    echo "http: {addr: 127.0.0.1:$REG_PORT}"
    if [ -n "$user" ]; then
      # htpasswd's bcrypt, without apache2-utils: Debian's libcrypt does $2b$. Cost 4 (16
      # rounds): the registry checks the password on every request, and cost 12 takes ~0.3 s.
      python3 -W ignore -c 'import crypt,sys; print(sys.argv[1] + ":" + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' \
        "$user" "$password" > "$dir/htpasswd"
      echo "auth: {htpasswd: {realm: sluice-test, path: $dir/htpasswd}}"
    fi
  } > "$dir/config.yml"
  docker-registry serve "$dir/config.yml" > "$dir/registry.log" 2>&1 &
  REG_PID=$!
  REG="127.0.0.1:$REG_PORT"
  local i
  for i in $(seq 1 100); do
    curl -s -o /dev/null "http://$REG/v2/" && return 0
    sleep 0.05
  done
  echo "docker-registry did not start:" >&2; cat "$dir/registry.log" >&2
  return 1
}

stop_registry() {
  [ -n "${REG_PID:-}" ] || return 0
  kill "$REG_PID" 2>/dev/null
  wait "$REG_PID" 2>/dev/null
  REG_PID=
}

# registry_tags REPO [USER:PASSWORD]: the repository's tags as the registry lists them, sorted,
# one a line (plain curl, not sluice's client).
registry_tags() {
  local auth=()
  [ -n "${2:-}" ] && auth=(-u "$2")
  curl -s "${auth[@]}" "http://$REG/v2/$1/tags/list" |
    python3 -c 'import json,sys; print("\n".join(sorted(json.load(sys.stdin).get("tags") or [])))'
}

# manifest_status REPO DIGEST [USER:PASSWORD]: the HTTP status of GET manifest by digest.
manifest_status() {
  local auth=()
  [ -n "${3:-}" ] && auth=(-u "$3")
  curl -s "${auth[@]}" -o /dev/null -w '%{http_code}' \
    -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json' \
    "http://$REG/v2/$1/manifests/$2"
}
