# shellcheck shell=bash disable=SC2034
# Settings and process helpers shared by scripts/s3-server and its libs.
# Sourced, not run. Every path derives from S3_SERVER_DIR so that two
# instances with different directories and ports never share a file.

# Microseconds since the epoch ($EPOCHREALTIME's separator follows the locale).
now_us() { echo "${EPOCHREALTIME//[!0-9]/}"; }
t0=$(now_us)

state_dir=${S3_SERVER_DIR:-/tmp/s3merge-s3-server}
http_port=${S3_SERVER_HTTP_PORT:-7480}
https_port=${S3_SERVER_HTTPS_PORT:-7443}
wrong_port=${S3_SERVER_HTTPS_WRONG_PORT:-7444}
mon_port=${S3_SERVER_MON_PORT:-13300}
osd_port_min=${S3_SERVER_OSD_PORT_MIN:-16800}
osd_port_max=${S3_SERVER_OSD_PORT_MAX:-17300}
memstore_bytes=${S3_SERVER_MEMSTORE_BYTES:-$((2 * 1024 * 1024 * 1024))}
access_key=${S3_SERVER_ACCESS_KEY:-s3mergetestaccesskey}
secret_key=${S3_SERVER_SECRET_KEY:-s3mergetestsecretkey0123456789abcdefgh}
# The key radosgw encrypts STS session tokens with (16 characters).
sts_key=${S3_SERVER_STS_KEY:-s3mergestskey016}
# How long to wait for radosgw to answer, and for a daemon to exit on SIGTERM.
start_timeout=${S3_SERVER_START_TIMEOUT:-60}
stop_timeout=${S3_SERVER_STOP_TIMEOUT:-15}

die() {
  echo "s3-server: $*" >&2
  exit 1
}

for _v in http_port:HTTP_PORT https_port:HTTPS_PORT wrong_port:HTTPS_WRONG_PORT \
  mon_port:MON_PORT osd_port_min:OSD_PORT_MIN osd_port_max:OSD_PORT_MAX \
  memstore_bytes:MEMSTORE_BYTES start_timeout:START_TIMEOUT stop_timeout:STOP_TIMEOUT; do
  _n=${_v%%:*}
  [[ ${!_n} =~ ^[0-9]+$ ]] || die "S3_SERVER_${_v#*:} must be a number, got '${!_n}'"
done
unset _v _n
[[ ${state_dir} == /* ]] || state_dir=${PWD}/${state_dir}
state_dir=$(realpath -m -- "${state_dir}")
[[ ${state_dir} != / ]] || die "S3_SERVER_DIR must not be /"

conf=${state_dir}/ceph.conf
run_dir=${state_dir}/run
log_dir=${state_dir}/log
tls_dir=${state_dir}/tls
nginx_dir=${state_dir}/nginx
nginx_conf=${nginx_dir}/nginx.conf
marker=${state_dir}/.s3merge-s3-server

daemons=(mon osd rgw nginx)

pid_file_of() {
  case "$1" in
    mon) echo "${run_dir}/mon.a.pid" ;;
    osd) echo "${run_dir}/osd.0.pid" ;;
    rgw) echo "${run_dir}/client.rgw.pid" ;;
    nginx) echo "${nginx_dir}/nginx.pid" ;;
  esac
}

log_file_of() {
  case "$1" in
    mon) echo "${log_dir}/mon.a.log" ;;
    osd) echo "${log_dir}/osd.0.log" ;;
    rgw) echo "${log_dir}/client.rgw.log" ;;
    nginx) echo "${log_dir}/nginx-error.log" ;;
    *) echo "${log_dir}/$1.out" ;;
  esac
}

# The config file each daemon was started with; it is on its command line, so
# a PID recycled by an unrelated process is never mistaken for ours.
conf_of() {
  if [[ $1 == nginx ]]; then echo "${nginx_conf}"; else echo "${conf}"; fi
}

read_pid() {
  local f
  f=$(pid_file_of "$1")
  [[ -r ${f} ]] && tr -dc '0-9' <"${f}"
  return 0
}

# True if the PID is a live (not zombie) process started with our config.
pid_is_ours() {
  local pid=$1 want=$2 stat cmdline
  [[ -n ${pid} ]] || return 1
  stat=$(cat "/proc/${pid}/stat" 2>/dev/null) || return 1
  # Field 3, after the parenthesised command name, is the state.
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null) || return 1
  [[ ${cmdline} == *"${want}"* ]]
}

daemon_running() {
  pid_is_ours "$(read_pid "$1")" "$(conf_of "$1")"
}

# Waits up to $2 seconds for daemon $1's PID $3 to be gone.
wait_gone() {
  local name=$1 timeout=$2 pid=$3 want deadline
  want=$(conf_of "${name}")
  deadline=$(($(now_us) + timeout * 1000000))
  while pid_is_ours "${pid}" "${want}"; do
    (($(now_us) < deadline)) || return 1
    sleep 0.05
  done
}

# SIGTERM by PID, wait, then SIGKILL. Never by name.
stop_daemon() {
  local name=$1 pid
  pid=$(read_pid "${name}")
  pid_is_ours "${pid}" "$(conf_of "${name}")" || return 0
  kill -TERM "${pid}" 2>/dev/null || true
  if ! wait_gone "${name}" "${stop_timeout}" "${pid}"; then
    echo "s3-server: ${name} (pid ${pid}) ignored SIGTERM for ${stop_timeout}s, sending SIGKILL" >&2
    kill -KILL "${pid}" 2>/dev/null || true
    wait_gone "${name}" 5 "${pid}" || die "${name} (pid ${pid}) survived SIGKILL"
  fi
  rm -f "$(pid_file_of "${name}")"
}

# Waits until daemon $1 has written its pid file and runs (daemons that fork
# write it from the child, after the parent has returned).
wait_pid_file() {
  local name=$1 deadline
  deadline=$(($(now_us) + 10 * 1000000))
  until daemon_running "${name}"; do
    (($(now_us) < deadline)) || fail "${name}" "${name} did not write a valid pid file $(pid_file_of "${name}")"
    sleep 0.02
  done
}

elapsed() {
  local us=$(($(now_us) - t0))
  printf '%d.%01d' $((us / 1000000)) $((us % 1000000 / 100000))
}

# Prints the tail of daemon $1's log (and of its captured stdout/stderr) to
# stderr, then dies with message $2 naming the log to read.
fail() {
  local name=$1 msg=$2 log out
  log=$(log_file_of "${name}")
  out=${log_dir}/${name}.out
  {
    if [[ -s ${out} ]]; then
      echo "--- last lines of ${out}:"
      tail -n 10 "${out}" | awk 1
    fi
    if [[ -s ${log} && ${log} != "${out}" ]]; then
      echo "--- last lines of ${log}:"
      tail -n 20 "${log}" | awk 1
    fi
    echo "---"
  } >&2
  die "${msg}; read ${log}"
}

require_root_and_tools() {
  [[ ${EUID} -eq 0 ]] || die "must run as root (ceph daemons and nginx run as root here)"
  local t
  for t in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool uuidgen openssl curl; do
    command -v "${t}" >/dev/null || die "missing '${t}'; run scripts/install-deps"
  done
  [[ -x /usr/sbin/nginx ]] || die "missing /usr/sbin/nginx; run scripts/install-deps"
}

# Something already listening on a port we need is the usual cause of a
# confusing start failure, so name it up front.
check_ports_free() {
  local pair port
  for pair in "${http_port} HTTP_PORT" "${https_port} HTTPS_PORT" \
    "${wrong_port} HTTPS_WRONG_PORT" "${mon_port} MON_PORT"; do
    port=${pair% *}
    if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      die "port ${port} on 127.0.0.1 is already in use (set S3_SERVER_${pair#* } to another port)"
    fi
  done
}

# Wipes the state directory, refusing to delete one that is not ours.
reset_state_dir() {
  if [[ -e ${state_dir} && ! -e ${marker} ]] && [[ -n $(ls -A "${state_dir}" 2>/dev/null) ]]; then
    die "${state_dir} exists, is not empty and was not made by s3-server; refusing to wipe it (set S3_SERVER_DIR)"
  fi
  rm -rf -- "${state_dir}"
  mkdir -p "${state_dir}" "${run_dir}" "${log_dir}" "${tls_dir}" "${nginx_dir}" \
    "${state_dir}/mon" "${state_dir}/osd/0" "${state_dir}/rgw" "${state_dir}/crash"
  : >"${marker}"
}
