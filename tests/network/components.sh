#!/usr/bin/env bash
# Sourced by run.sh for the Python and Node scenarios: starts the emulator (rate limit off),
# nginx (TLS with a test CA made here by openssl; one HTTP/1.1 port, one h2 port;
# keepalive_requests 50, keepalive_timeout 2s, gzip) and two tinyproxy instances (open, and
# BasicAuth), on free ports of 127.0.0.1, and exports where they are:
#   NETWORK_EMULATOR (http://127.0.0.1:P/api/v1), NETWORK_H1, NETWORK_H2 (https://localhost:P/api/v1),
#   NETWORK_CA (the CA's PEM), NETWORK_PROXY, NETWORK_PROXY_LOG, NETWORK_AUTH_PROXY (host:port),
#   NETWORK_AUTH (user:password), NETWORK_DEAD_PROXY.
# Everything is stopped by `network_stop` (run.sh traps EXIT).

net_dir="$(mktemp -d /tmp/delegir-network.XXXXXX)"
net_pids=()

network_stop() {
    for pid in "${net_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$net_dir"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {  # port what log
    for _ in $(seq 100); do
        (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.05
    done
    echo "components.sh: $2 did not start on port $1" >&2
    cat "$3" >&2 || true
    return 1
}

# The emulator.
cargo build -q -p delegir-emulator
target/debug/delegir-emulator --port 0 --rate-limit 0 --quiet >"$net_dir/emulator.out" 2>&1 &
net_pids+=($!)
for _ in $(seq 100); do
    NETWORK_EMULATOR="$(grep -o 'http://127.0.0.1:[0-9]*/api/v1' "$net_dir/emulator.out" | head -1 || true)"
    [ -n "$NETWORK_EMULATOR" ] && break
    sleep 0.05
done
[ -n "$NETWORK_EMULATOR" ] || { cat "$net_dir/emulator.out" >&2; exit 1; }
emulator_port="${NETWORK_EMULATOR#http://127.0.0.1:}"
emulator_port="${emulator_port%%/*}"

# A test CA and a certificate it signed for localhost.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Delegir network test CA" \
    -keyout "$net_dir/ca.key" -out "$net_dir/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$net_dir/server.key" -out "$net_dir/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$net_dir/ext.cnf"
openssl x509 -req -in "$net_dir/server.csr" -CA "$net_dir/ca.pem" -CAkey "$net_dir/ca.key" \
    -CAcreateserial -days 2 -extfile "$net_dir/ext.cnf" -out "$net_dir/server.crt" 2>/dev/null

# nginx.
h1="$(free_port)"
h2="$(free_port)"
mkdir -p "$net_dir/tmp" "$net_dir/logs"
cat >"$net_dir/nginx.conf" <<CONF
master_process off;
daemon off;
pid $net_dir/nginx.pid;
error_log $net_dir/logs/error.log warn;
events { worker_connections 1024; }
http {
    client_body_temp_path $net_dir/tmp/body;
    proxy_temp_path $net_dir/tmp/proxy;
    fastcgi_temp_path $net_dir/tmp/fastcgi;
    uwsgi_temp_path $net_dir/tmp/uwsgi;
    scgi_temp_path $net_dir/tmp/scgi;
    access_log $net_dir/logs/access.log;
    upstream emulator { server 127.0.0.1:$emulator_port; keepalive 32; }
    server {
        listen 127.0.0.1:$h1 ssl;
        listen 127.0.0.1:$h2 ssl http2;
        server_name localhost;
        ssl_certificate $net_dir/server.crt;
        ssl_certificate_key $net_dir/server.key;
        keepalive_requests 50;
        keepalive_timeout 2s;
        gzip on;
        gzip_types application/json;
        gzip_min_length 1;
        gzip_proxied any;
        location / {
            proxy_pass http://emulator;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
CONF
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"
"$nginx_bin" -p "$net_dir" -c "$net_dir/nginx.conf" >/dev/null 2>&1 &
net_pids+=($!)
wait_port "$h1" nginx "$net_dir/logs/error.log"
wait_port "$h2" nginx "$net_dir/logs/error.log"

# tinyproxy: open, and with BasicAuth.
start_tinyproxy() {  # port extra-config
    cat >"$net_dir/tinyproxy-$1.conf" <<CONF
Port $1
Listen 127.0.0.1
Timeout 60
MaxClients 200
LogLevel Info
LogFile "$net_dir/tinyproxy-$1.log"
Allow 127.0.0.1
$2
CONF
    tinyproxy -d -c "$net_dir/tinyproxy-$1.conf" >/dev/null 2>&1 &
    net_pids+=($!)
    wait_port "$1" tinyproxy "$net_dir/tinyproxy-$1.log"
}
proxy_port="$(free_port)"
auth_port="$(free_port)"
start_tinyproxy "$proxy_port" ""
start_tinyproxy "$auth_port" "BasicAuth alice pr0xy-s3cret"

export NETWORK_EMULATOR
export NETWORK_H1="https://localhost:$h1/api/v1"
export NETWORK_H2="https://localhost:$h2/api/v1"
export NETWORK_CA="$net_dir/ca.pem"
export NETWORK_PROXY="http://127.0.0.1:$proxy_port"
export NETWORK_PROXY_LOG="$net_dir/tinyproxy-$proxy_port.log"
export NETWORK_AUTH_PROXY="127.0.0.1:$auth_port"
export NETWORK_AUTH="alice:pr0xy-s3cret"
export NETWORK_DEAD_PROXY="http://127.0.0.1:$(free_port)"
