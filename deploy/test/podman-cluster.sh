#!/usr/bin/env bash
# A multi-host cluster test with real containers: the image from deploy/container, a coordinator and two workers on a
# podman network, run with the command, args and environment of the rendered Kubernetes manifests
# (kubectl kustomize deploy/k8s/overlays/single-node; deploy/test/manifest_to_podman.py says what is substituted).
# From the host, through the coordinator's port published on 127.0.0.1:
#   1. a submit without the API key is refused with UNAUTHENTICATED;
#   2. `finetune submit --workers 2 --wait` with the key succeeds;
#   3. `podman kill` of a worker mid-job: the job recovers on the survivor (--min-workers 1);
#   4. `podman restart` of the coordinator mid-job: the job resumes from the checkpoint on its volume;
#   5. (on by default; FINETUNE_TEST_PREEMPTION=0 skips it) `podman stop` of a worker mid-job, with no scheduled checkpoint:
#      the worker checkpoints on SIGTERM and the job resumes from that step.
#   deploy/test/podman-cluster.sh [--preemption] [--keep]
# Needs root, podman (with netavark, aardvark-dns, iptables, runc), debootstrap, kubectl, python3-yaml, the .NET SDK
# and npm. The base image and the publish are cached under .cache/deploy (keyed by their inputs).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/deploy/test/containers.conf}"
overlay="${FINETUNE_K8S_OVERLAY:-deploy/k8s/overlays/single-node}" # relative to the repository, under deploy/
preemption="${FINETUNE_TEST_PREEMPTION:-1}"; keep=0
scenarios="${FINETUNE_TEST_SCENARIOS:-1234}" # a subset, e.g. 4, while working on one
for a in "$@"; do
  case "$a" in --preemption) preemption=1 ;; --keep) keep=1 ;; *) echo "podman-cluster.sh: unknown argument $a" >&2; exit 2 ;; esac
done
py=/usr/bin/python3
cache="$repo/.cache/deploy"; mkdir -p "$cache"
net=finetune-podman-test; coordinator=finetune-coordinator; workers=(finetune-worker-0 finetune-worker-1)
work="$(mktemp -d /tmp/finetune-podman-test.XXXXXX)"
started=$SECONDS
log() { printf '[podman-cluster +%3ds] %s\n' $((SECONDS - started)) "$*" >&2; }

cleanup() {
  local code=$?
  if ((code != 0)); then
    for c in $coordinator "${workers[@]}"; do log "--- podman logs $c (last 40 lines)"; podman logs --tail 40 "$c" 2>&1 | sed "s/^/[$c] /" >&2 || true; done
  fi
  if ((keep == 0)); then
    podman rm -f -t 0 $coordinator "${workers[@]}" >/dev/null 2>&1 || true
    podman volume rm -f $coordinator-data "${workers[@]/%/-cache}" >/dev/null 2>&1 || true
    podman network rm -f $net >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  ((code == 0)) || log "FAILED (exit $code)"
}
trap cleanup EXIT
fail() { log "FAIL: $*"; exit 1; }

[[ -d "$repo/$overlay" ]] || fail "$overlay not found (the Kubernetes manifests this test runs)"

# --- images: the offline base (saved as a tar keyed by its script, so a reset podman store reloads it in seconds), then
# the image (deploy/container/build.sh keeps the publish and labels the image with the hash of its inputs)
t=$SECONDS
base=localhost/finetune-base:bookworm
base_tar="$cache/base-$(sha256sum "$repo/deploy/container/build-base.sh" | cut -c1-16).tar"
if ! podman image exists $base; then
  if [[ -f "$base_tar" ]]; then podman load -q -i "$base_tar" >/dev/null
  else "$repo/deploy/container/build-base.sh" $base >/dev/null && podman save -q -o "$base_tar.tmp" $base && mv "$base_tar.tmp" "$base_tar"; fi
fi
image="$("$repo/deploy/container/build.sh" --base $base)"
size_mb=$(($(podman image inspect --format '{{.Size}}' "$image") / 1000000))
build_s=$((SECONDS - t))
log "image $image: ${size_mb} MB, ready in ${build_s} s"
finetune="$cache/stage-cpu/app/cli/finetune" # the image's own CLI, self-contained, run on the host

# --- the manifests, rendered with the test's own secrets (random, written only into a copy of deploy/)
cp -r "$repo/deploy" "$work/deploy"
$py "$repo/deploy/test/manifest_to_podman.py" fill-secrets "$work/deploy"
kubectl kustomize "$work/$overlay" >"$work/rendered.yaml"
m2p() { $py "$repo/deploy/test/manifest_to_podman.py" "$@"; }
api_key="$(m2p secret "$work/rendered.yaml" api-key)"
grpc_port="$(m2p port "$work/rendered.yaml" finetune-coordinator)"

# --- network and containers (leftovers of an interrupted run go first)
podman rm -f -t 0 $coordinator "${workers[@]}" >/dev/null 2>&1 || true
podman volume rm -f $coordinator-data "${workers[@]/%/-cache}" >/dev/null 2>&1 || true
podman network rm -f $net >/dev/null 2>&1 || true
podman network create $net >/dev/null
subnet="$(podman network inspect --format '{{range .Subnets}}{{.Subnet}}{{end}}' $net)"
ip() { echo "${subnet%.*/*}.$((10 + $1))"; }
host_port="$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

start() { # NAME WORKLOAD CONTAINER INDEX [podman args...]
  local name=$1 workload=$2 container=$3 index=$4; shift 4
  local args=()
  mapfile -d '' args < <(m2p run "$work/rendered.yaml" "$workload" "$container" --container-name "$name" \
    --ip "$(ip "$index")" --volume-prefix "$name" --image "$image")
  ((${#args[@]} > 0)) || fail "no podman arguments for $workload"
  podman run -d --name "$name" --hostname "$name" --network $net --ip "$(ip "$index")" "$@" "${args[@]}" >/dev/null
}
start $coordinator Deployment/finetune-coordinator coordinator 0 -p "127.0.0.1:$host_port:$grpc_port"
for i in "${!workers[@]}"; do start "${workers[$i]}" StatefulSet/finetune-worker worker $((i + 1)); done
podman ps --format '{{.Names}} {{.Status}}' --filter name=finetune- | sed 's/^/  /' >&2

export FINETUNE_COORDINATOR="http://127.0.0.1:$host_port"
ft() { FINETUNE_API_KEY="$api_key" "$finetune" "$@"; }
ready() { for _ in $(seq 120); do ft list >/dev/null 2>&1 && return 0; sleep 0.5; done; fail "the coordinator did not answer on $FINETUNE_COORDINATOR within 60 s"; }
ready
log "cluster up: coordinator $FINETUNE_COORDINATOR, workers ${workers[*]} on network $net ($subnet)"

# A short job on the default model and data (seeded in the image: nothing is downloaded), short rows.
job=(--workers 2 --max-length 16 --batch-size 8 --eval-subset 100 --eval-strategy no --logging-steps 1 --seed 7)
json() { $py -c "import json,sys; j=json.load(sys.stdin); r=($1); print(*r) if isinstance(r, tuple) else print(r)"; }
status() { ft status "$1" --json; }
last_step() { status "$1" | json "max([h['step'] for h in j['history']] or [0])"; }
wait_step() { # JOB STEP: until the job has logged STEP
  for _ in $(seq 600); do (($(last_step "$1") >= $2)) && return 0; sleep 0.5; done; fail "job $1 did not reach step $2: $(status "$1")"
}
rank_worker() { status "$1" | json "j['workers'][$2]"; }
finish() { # JOB: follow it to the end; prints the final job
  ft watch "$1" >"$work/watch.log" 2>&1 || fail "job $1 did not succeed: $(tail -n 5 "$work/watch.log") $(status "$1")"
  status "$1"
}

# 1. no key: refused
if [[ $scenarios == *1* ]]; then
  t=$SECONDS
  if out="$(FINETUNE_API_KEY= "$finetune" submit --workers 2 2>&1)"; then fail "a submit without the API key was accepted: $out"; fi
  grep -qi unauthenticated <<<"$out" || fail "a submit without the API key failed, but not with UNAUTHENTICATED: $out"
  if out="$(FINETUNE_API_KEY=wrong "$finetune" submit --workers 2 2>&1)"; then fail "a submit with a wrong API key was accepted: $out"; fi
  grep -qi unauthenticated <<<"$out" || fail "a wrong API key was refused, but not with UNAUTHENTICATED: $out"
  log "1. submit without the key, or with a wrong one: UNAUTHENTICATED ($((SECONDS - t)) s)"
fi

# 2. a job on both workers, followed to the end
if [[ $scenarios == *2* ]]; then
  t=$SECONDS
  ft submit "${job[@]}" --max-steps 20 --wait --json >"$work/job2.json" 2>"$work/job2.log" || fail "submit --wait failed: $(tail -n 5 "$work/job2.log")"
  [[ "$(json "j['state'], j['world_size'], j['metrics']['global_step']" <"$work/job2.json")" == "succeeded 2 20" ]] \
    || fail "job 2: expected succeeded on 2 workers at step 20: $(cat "$work/job2.json")"
  log "2. submit --workers 2 --wait: succeeded, 20 steps on 2 workers ($((SECONDS - t)) s)"
fi

# 3. a worker killed mid-job: the job goes on with the survivor
if [[ $scenarios == *3* ]]; then
  t=$SECONDS
  id="$(ft submit "${job[@]}" --min-workers 1 --max-steps 40 --json | json "j['id']")"
  wait_step "$id" 10
  victim="$(rank_worker "$id" 1)"
  podman kill "$victim" >/dev/null
  done3="$(finish "$id")"
  [[ "$(json "j['state'], j['metrics']['restarts'] >= 1, j['metrics']['global_step']" <<<"$done3")" == "succeeded True 40" ]] \
    || fail "job 3: expected success at step 40 after a recovery: $done3"
  podman start "$victim" >/dev/null
  log "3. podman kill $victim at step >= 10: recovered ($(json "j['recoveries'][0]" <<<"$done3")), succeeded ($((SECONDS - t)) s)"
fi

# 4. the coordinator restarted mid-job: the job resumes from its volume
if [[ $scenarios == *4* ]]; then
  t=$SECONDS
  id="$(ft submit "${job[@]}" --max-steps 30 --save-strategy steps --save-steps 10 --json | json "j['id']")"
  wait_step "$id" 13 # checkpoint-10 saved and sent to the coordinator by then
  podman restart $coordinator >/dev/null
  ready
  done4="$(finish "$id")"
  [[ "$(json "j['state'], j['metrics']['global_step'], (j['recoveries'][-1]['resumed_from'] or '')" <<<"$done4")" =~ ^succeeded\ 30\ checkpoint-(10|20)$ ]] \
    || fail "job 4: expected success at step 30 resumed from a checkpoint after the restart: $done4"
  log "4. podman restart $coordinator at step >= 13: resumed from $(json "j['recoveries'][-1]['resumed_from']" <<<"$done4"), succeeded ($((SECONDS - t)) s)"
fi

# 5. preemption: a worker stopped (SIGTERM, the manifests' grace period) checkpoints that step; no scheduled checkpoints
if ((preemption)) || [[ $scenarios == *5* ]]; then
  t=$SECONDS
  id="$(ft submit "${job[@]}" --max-steps 40 --save-strategy no --json | json "j['id']")"
  wait_step "$id" 10
  victim="$(rank_worker "$id" 1)"; at="$(last_step "$id")"
  podman stop "$victim" >/dev/null
  podman start "$victim" >/dev/null
  done5="$(finish "$id")"
  resumed="$(json "(j['recoveries'] or [{}])[0].get('resumed_from') or ''" <<<"$done5")"
  [[ "$(json "j['state']" <<<"$done5")" == succeeded && "$resumed" =~ ^checkpoint-([0-9]+)$ ]] && ((BASH_REMATCH[1] >= at)) \
    || fail "job 5: expected success resumed from a checkpoint at step >= $at (the step when stopped): $done5"
  log "5. podman stop $victim at step $at: resumed from $resumed, succeeded ($((SECONDS - t)) s)"
else
  log "5. podman stop (preemption) skipped: FINETUNE_TEST_PREEMPTION=0"
fi

log "PASS: image ${size_mb} MB (ready in ${build_s} s), whole test $((SECONDS - started)) s"
