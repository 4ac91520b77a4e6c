# shellcheck shell=bash disable=SC2154
# The Ceph part of scripts/s3-server: config, monitor, OSD, S3 user, storage
# classes, radosgw.
# Sourced after s3-server-common.sh. Facts behind each setting are in
# /work/shared/RGW-NOTES.md and docs/local-s3-server.md.

# Every ceph tool gets our config explicitly; CEPH_CONF covers anything the
# tools spawn, so /etc/ceph/ceph.conf is never read.
ceph_tool() {
  CEPH_CONF=${conf} "$@"
}

write_ceph_conf() {
  # STS (AssumeRole; session tokens checked by radosgw; sessions of 15 s
  # and more) only when asked for: with STS on, radosgw answers every
  # failed signature AccessDenied instead of SignatureDoesNotMatch.
  local sts_conf=""
  if [[ ${S3_SERVER_STS:-0} == 1 ]]; then
    sts_conf="rgw sts key = ${sts_key}
rgw s3 auth use sts = true
rgw sts min session duration = 15
"
  fi
  local fsid=$1
  # $name / $id are expanded by Ceph itself (mon.a, osd.0, client.rgw, ...).
  cat >"${conf}" <<EOF
# Written by scripts/s3-server; throw-away single-node cluster.
[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${mon_port}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind msgr2 = true
ms bind ipv6 = false
ms bind port min = ${osd_port_min}
ms bind port max = ${osd_port_max}
auth cluster required = none
auth service required = none
auth client required = none
# No keyring exists or is needed with auth none; never look in /etc/ceph.
keyring = ${state_dir}/no-keyring
run dir = ${run_dir}
pid file = ${run_dir}/\$name.pid
admin socket = ${run_dir}/\$name.asok
log file = ${log_dir}/\$name.log
mon cluster log file = ${log_dir}/cluster.log
crash dir = ${state_dir}/crash
log to syslog = false
err to syslog = false
clog to syslog = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
# Data lives in RAM; a nearly full /tmp must not stop the monitor.
mon data avail warn = 1
mon data avail crit = 0

[mon]
mon data = ${state_dir}/mon/\$id
# Without these each of the ~7 pools radosgw creates waits a 1 s paxos round
# (~12 s start); 0.01/0.01 rather than 0.1/0.05 saves ~0.5 s more, spread over
# the ~20 monitor commands of a start (osd new, pool create, application
# enable, ...). One monitor, so nothing to wait for but itself.
paxos propose interval = 0.01
paxos min wait = 0.01

[osd]
osd data = ${state_dir}/osd/\$id
osd journal = ${state_dir}/osd/\$id/journal
osd objectstore = memstore
memstore device bytes = ${memstore_bytes}

[client]
# The ceph CLI and radosgw-admin are short-lived: no admin socket for them.
admin socket =
# radosgw defaults to "secure", which cannot work with auth none.
ms mon client mode = crc

[client.rgw]
admin socket = ${run_dir}/\$name.asok
rgw frontends = beast endpoint=127.0.0.1:${http_port}
rgw data = ${state_dir}/rgw
# No "rgw dns name": every request is path-style, whatever the Host header.
${sts_conf}
EOF
}

# Starts a ceph daemon (it forks and writes its pid file); $1 is our name
# for it, the rest its command line. Its early stdout/stderr go to a file.
start_ceph_daemon() {
  local name=$1
  shift
  if ! ceph_tool "$@" -c "${conf}" </dev/null >>"${log_dir}/${name}.out" 2>&1; then
    fail "${name}" "${name} failed to start"
  fi
  wait_pid_file "${name}"
}

# Polls GET / on radosgw until it answers (any HTTP status), or fails.
wait_rgw() {
  local deadline code
  deadline=$(($(now_us) + start_timeout * 1000000))
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' --max-time 2 \
      "http://127.0.0.1:${http_port}/" 2>/dev/null) || true
    [[ ${code} == 200 ]] && return 0
    daemon_running rgw || fail rgw "radosgw exited while starting"
    (($(now_us) < deadline)) || fail rgw "radosgw did not answer on 127.0.0.1:${http_port} within ${start_timeout}s"
    sleep 0.1
  done
}

# Storage classes accepted besides STANDARD: those of AWS S3 that PutObject
# takes without special hardware (not OUTPOSTS, SNOW, EXPRESS_ONEZONE).
rgw_storage_classes=(STANDARD_IA ONEZONE_IA INTELLIGENT_TIERING GLACIER GLACIER_IR
  DEEP_ARCHIVE REDUCED_REDUNDANCY)

# radosgw-admin with our config and a deadline (it waits forever for a dead
# OSD); stdout to $1, stderr appended to the rgw setup log.
rgw_admin() {
  local stdout=$1
  shift
  ceph_tool timeout -k 5 "${start_timeout}" radosgw-admin -c "${conf}" "$@" \
    </dev/null >"${stdout}" 2>>"${log_dir}/rgw-setup.out"
}

# Before radosgw starts: creates the S3 user and adds the storage classes to
# the default placement target. radosgw reads its zonegroup and zone only at
# start (with no realm, neither a period commit nor SIGHUP reloads them), so
# configuring them first saves a radosgw restart (~1.2 s). The user create
# (the first radosgw-admin run, ~0.7 s) makes the default zonegroup and zone
# and the .rgw.root/log/control/meta pools, which radosgw would otherwise
# make itself at start. The classes are then added by editing the zonegroup
# and zone JSON once (get, edit, set, ~0.5 s: zonegroup and zone in
# parallel) instead of 2 radosgw-admin runs per class (~0.18 s each).
# Every class stores its data in the STANDARD data pool: no extra pool, and
# the class is only what the object records and listings report.
setup_rgw_zone() {
  local out=${log_dir}/rgw-setup.out dir=${state_dir}/rgw-zone zg_pid zg_rc=0 zone_rc=0
  # The system python: a python3 first on PATH may be a slow shim (pyenv: ~1 s).
  local py=/usr/bin/python3
  [[ -x ${py} ]] || py=python3
  mkdir -p "${dir}"
  rgw_admin /dev/null user create --uid=s3merge --display-name="s3merge tests" \
    --access-key="${access_key}" --secret-key="${secret_key}" ||
    fail rgw-setup "radosgw-admin user create failed"
  # Both halves run to the end before a failure is reported: no orphans.
  rgw_admin "${dir}/zonegroup.json" zonegroup get --rgw-zonegroup=default &
  zg_pid=$!
  rgw_admin "${dir}/zone.json" zone get --rgw-zone=default || zone_rc=$?
  wait "${zg_pid}" || zg_rc=$?
  [[ ${zg_rc} -eq 0 && ${zone_rc} -eq 0 ]] ||
    fail rgw-setup "radosgw-admin zonegroup get (exit ${zg_rc}) or zone get (exit ${zone_rc}) failed"
  "${py}" - "${dir}" "${rgw_storage_classes[@]}" >>"${out}" 2>&1 <<'EOF' ||
import json, sys
d, classes = sys.argv[1], sys.argv[2:]
with open(d + "/zonegroup.json") as f:
    zg = json.load(f)
with open(d + "/zone.json") as f:
    zone = json.load(f)
[target] = [t for t in zg["placement_targets"] if t["name"] == "default-placement"]
target["storage_classes"] = sorted(set(target["storage_classes"]) | set(classes))
[pools] = [p["val"] for p in zone["placement_pools"] if p["key"] == "default-placement"]
standard = pools["storage_classes"]["STANDARD"]
for c in classes:
    pools["storage_classes"].setdefault(c, {"data_pool": standard["data_pool"]})
with open(d + "/zonegroup-new.json", "w") as f:
    json.dump(zg, f, indent=2)
with open(d + "/zone-new.json", "w") as f:
    json.dump(zone, f, indent=2)
EOF
    fail rgw-setup "editing the zonegroup/zone JSON in ${dir} failed"
  setup_rgw_roles
  rgw_admin /dev/null zonegroup set --rgw-zonegroup=default --infile="${dir}/zonegroup-new.json" &
  zg_pid=$!
  rgw_admin /dev/null zone set --rgw-zone=default --infile="${dir}/zone-new.json" || zone_rc=$?
  wait "${zg_pid}" || zg_rc=$?
  [[ ${zg_rc} -eq 0 && ${zone_rc} -eq 0 ]] ||
    fail rgw-setup "radosgw-admin zonegroup set (exit ${zg_rc}) or zone set (exit ${zone_rc}) failed"
}

# Roles for the credential tests (docs/credentials.md): "s3merge-reader" may
# be assumed by the test user and reaches only buckets named sts-ok*;
# "s3merge-chained" may be assumed from s3merge-reader's sessions (a chain
# of two roles) and reaches the same buckets.
setup_rgw_roles() {
  local trust_user trust_role policy
  trust_user='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::user/s3merge"]},"Action":["sts:AssumeRole"]}]}'
  trust_role='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam:::role/s3merge-reader","arn:aws:iam:::user/s3merge"]},"Action":["sts:AssumeRole"]}]}'
  policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::sts-ok*","arn:aws:s3:::sts-ok*/*"]},{"Effect":"Allow","Action":["sts:AssumeRole"],"Resource":["*"]}]}'
  rgw_admin /dev/null role create --role-name=s3merge-reader --path=/ --assume-role-policy-doc="${trust_user}" ||
    fail rgw-setup "radosgw-admin role create failed"
  rgw_admin /dev/null role-policy put --role-name=s3merge-reader --policy-name=buckets --policy-doc="${policy}" ||
    fail rgw-setup "radosgw-admin role-policy put failed"
  rgw_admin /dev/null role create --role-name=s3merge-chained --path=/ --assume-role-policy-doc="${trust_role}" ||
    fail rgw-setup "radosgw-admin role create failed"
  rgw_admin /dev/null role-policy put --role-name=s3merge-chained --policy-name=buckets --policy-doc="${policy}" ||
    fail rgw-setup "radosgw-admin role-policy put failed"
}

# Starts monitor, OSD and radosgw; radosgw is not serving yet on return.
start_ceph() {
  local fsid osd_uuid osd_id out
  fsid=$(uuidgen)
  osd_uuid=$(uuidgen)
  write_ceph_conf "${fsid}"

  out=${log_dir}/mon.out
  ceph_tool monmaptool --create --fsid "${fsid}" --addv a "[v2:127.0.0.1:${mon_port}]" \
    "${state_dir}/monmap" >>"${out}" 2>&1 || fail mon "monmaptool failed"
  ceph_tool ceph-mon -c "${conf}" -i a --mkfs --monmap "${state_dir}/monmap" \
    </dev/null >>"${out}" 2>&1 || fail mon "ceph-mon --mkfs failed"
  start_ceph_daemon mon ceph-mon -i a

  out=${log_dir}/osd.out
  osd_id=$(ceph_tool ceph -c "${conf}" --connect-timeout 30 osd new "${osd_uuid}" 2>>"${out}") ||
    fail osd "'ceph osd new' failed"
  [[ ${osd_id} == 0 ]] || fail osd "'ceph osd new' gave osd id '${osd_id}', expected 0"
  ceph_tool ceph-osd -c "${conf}" -i 0 --mkfs --osd-uuid "${osd_uuid}" \
    </dev/null >>"${out}" 2>&1 || fail osd "ceph-osd --mkfs failed"
  start_ceph_daemon osd ceph-osd -i 0

  setup_rgw_zone
  start_ceph_daemon rgw radosgw -n client.rgw
}

# Waits for radosgw to answer (~0.4 s: the zone and its pools exist already).
finish_ceph() {
  wait_rgw
}
