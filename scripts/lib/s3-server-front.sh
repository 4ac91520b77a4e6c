# shellcheck shell=bash disable=SC2154
# The HTTPS front of scripts/s3-server: a test CA, two server certificates
# and an nginx that terminates TLS and proxies to radosgw unchanged.
# Sourced after s3-server-common.sh.

# Issues a certificate for SAN $2 signed by the test CA, as $1.pem/$1.key.
issue_cert() {
  local base=${tls_dir}/$1 san=$2 cn=$3
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "${base}.key" -subj "/CN=${cn}" -out "${base}.csr" 2>>"${log_dir}/tls.out" || return 1
  cat >"${base}.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = ${san}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  openssl x509 -req -in "${base}.csr" -CA "${tls_dir}/ca.pem" -CAkey "${tls_dir}/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 2 -sha256 -extfile "${base}.ext" \
    -out "${base}.pem" 2>>"${log_dir}/tls.out" || return 1
  rm -f "${base}.csr" "${base}.ext"
}

make_certs() {
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "${tls_dir}/ca.key" -subj "/CN=s3merge test CA $(basename "${state_dir}")" \
    -days 2 -sha256 \
    -addext "basicConstraints = critical, CA:TRUE" \
    -addext "keyUsage = critical, keyCertSign, cRLSign" \
    -addext "subjectKeyIdentifier = hash" \
    -out "${tls_dir}/ca.pem" 2>>"${log_dir}/tls.out" || return 1
  issue_cert server "DNS:localhost, IP:127.0.0.1" localhost || return 1
  # Same CA, wrong name: proves that clients check the host name.
  issue_cert wrong "DNS:wrong.example" wrong.example
}

write_nginx_conf() {
  mkdir -p "${nginx_dir}/tmp"
  local server
  cat >"${nginx_conf}" <<EOF
# Written by scripts/s3-server.
daemon on;
master_process on;
user root;
worker_processes 1;
pid ${nginx_dir}/nginx.pid;
error_log ${log_dir}/nginx-error.log warn;

events {
  worker_connections 1024;
}

http {
  access_log ${log_dir}/nginx-access.log;
  client_body_temp_path ${nginx_dir}/tmp/client_body;
  proxy_temp_path ${nginx_dir}/tmp/proxy;
  fastcgi_temp_path ${nginx_dir}/tmp/fastcgi;
  uwsgi_temp_path ${nginx_dir}/tmp/uwsgi;
  scgi_temp_path ${nginx_dir}/tmp/scgi;

  # Pass every request header through, whatever its spelling.
  underscores_in_headers on;
  ignore_invalid_headers off;
  # Long keys, percent-encoded, in the request line and x-amz-copy-source.
  large_client_header_buffers 4 32k;
  client_max_body_size 0;
  client_body_timeout 300s;
  keepalive_requests 100000;
  server_tokens off;

  upstream rgw {
    server 127.0.0.1:${http_port};
    keepalive 64;
    # Shorter than beast's 65 s idle timeout, so nginx never reuses a
    # connection radosgw is closing.
    keepalive_timeout 30s;
    keepalive_requests 100000;
  }
EOF
  for server in "${https_port} server" "${wrong_port} wrong"; do
    cat >>"${nginx_conf}" <<EOF

  server {
    listen 127.0.0.1:${server% *} ssl;
    ssl_certificate ${tls_dir}/${server#* }.pem;
    ssl_certificate_key ${tls_dir}/${server#* }.key;
    ssl_protocols TLSv1.2 TLSv1.3;

    location / {
      # No URI part: the request line goes upstream byte for byte, so the
      # SigV4 canonical URI stays what the client signed.
      proxy_pass http://rgw;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # Host is signed by SigV4: pass it unchanged, port included.
      proxy_set_header Host \$http_host;
      # nginx answers "Expect: 100-continue" itself and drops the header
      # (as it drops Connection, Keep-Alive, TE, Upgrade). Forwarding it
      # breaks: nginx relays radosgw's second 100 as the final response.
      # So a signer must not sign Expect (botocore and aws-c-auth do not).
      proxy_request_buffering off;
      proxy_buffering off;
      # Response headers larger than this would give 502 (default 4k).
      proxy_buffer_size 16k;
      proxy_buffers 4 16k;
      proxy_read_timeout 300s;
      proxy_send_timeout 300s;
    }
  }
EOF
  done
  echo "}" >>"${nginx_conf}"
}

# Polls GET / through the front, verifying the certificate against our CA.
wait_front() {
  local deadline code
  deadline=$(($(now_us) + 10 * 1000000))
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 2 \
      --cacert "${tls_dir}/ca.pem" "https://localhost:${https_port}/" 2>/dev/null) || true
    [[ ${code} == 200 ]] && return 0
    (($(now_us) < deadline)) || fail nginx "https://localhost:${https_port}/ did not answer 200 (last: ${code:-none})"
    sleep 0.05
  done
}

# One signed round trip through the front: creates and deletes a bucket.
# Proves TLS, the Host header passed through with its port, the S3 user and
# its keys; it also creates radosgw's bucket pools now rather than during a
# test's first CreateBucket (~0.5 s).
self_check() {
  local bucket=s3-server-self-check code method want
  for method in PUT:200 DELETE:204; do
    want=${method#*:}
    method=${method%:*}
    code=$(curl -s -o "${log_dir}/self-check.out" -w '%{http_code}' --noproxy '*' --max-time 30 \
      --cacert "${tls_dir}/ca.pem" -X "${method}" \
      --aws-sigv4 "aws:amz:us-east-1:s3" --user "${access_key}:${secret_key}" \
      -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
      "https://localhost:${https_port}/${bucket}") || true
    [[ ${code} == "${want}" ]] ||
      fail self-check "signed ${method} /${bucket} via https://localhost:${https_port} gave HTTP ${code:-none}, expected ${want}"
  done
}

# Makes the certificates and nginx config; cheap enough to overlap with
# radosgw's start, so it may run in the background.
prepare_front() {
  make_certs && write_nginx_conf
}

start_front() {
  /usr/sbin/nginx -p "${nginx_dir}/" -c "${nginx_conf}" -e "${log_dir}/nginx-error.log" \
    </dev/null >>"${log_dir}/nginx.out" 2>&1 || fail nginx "nginx failed to start"
  wait_pid_file nginx
  wait_front
  self_check
}
