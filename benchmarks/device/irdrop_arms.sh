#!/usr/bin/env bash
# The 4-arm IR-drop comparison on one host with 2 GPUs (ran as one `nvidia-h200-x2` call, 446 s wall):
# generate IR-drop cases on the CPUs for GT s, build two caches (no prior; 128-step pooled CG prior), then
# train {unet, pdnnet} x {gpu, gpu-prior128} with the same data, splits and time budget: split a (real
# testcase2/12 held out, seed 0) on GPU0 and split b (testcase1/11 held out, seed 1) on GPU1, four models per
# GPU at once; evaluate each on its test split (PDNNet + prior also times the exact static / transient path).
# LITHO=1 also runs the lithography extras (FCN IoU at 128 clips, checkpoint, speed) on GPU1 during generation.
# Tables: python -m chipsmith.benchmarks.irdrop_arms $OUT/runs.tar arms.json
# Run from the repository root: DATA=<iccad23-irdrop folder> OUT=<results> bash benchmarks/device/irdrop_arms.sh
set -u
W=${W:-/tmp}; PY=${PY:-python3}; GT=${GT:-55}; END=${END:-430}; TMAX=${TMAX:-220}
DATA=${DATA:-${CHIPSMITH_DATA:-$HOME/.cache/chipsmith}/iccad23-irdrop}
B=benchmarks/device
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
. benchmarks/device/pkg_shim.sh
OUT=${OUT:-$W/dout}; mkdir -p $OUT $W/runs
t0=$(date +%s)
if [ "${LITHO:-0}" = 1 ]; then
  (cd /tmp && CUDA_VISIBLE_DEVICES=1 CHIPSMITH_DATA=$R/tests/data timeout ${LT:-330} $PY -m chipsmith.benchmarks.litho_model_bench $OUT/litho stage=extras source_count=800 val=0 fcn_clips=128 fcn_steps=400 steps=800 workers=4 data=/tmp/litho-data > $OUT/litho.log 2>&1; echo "litho rc $? at $(( $(date +%s) - t0 )) s" >> $OUT/litho.log) &
fi
# per process: cases one at a time until GT s (contest-style, uniform, mixed-style dynamic)
for s in $(seq 1 ${GC:-9}); do timeout $((GT+30)) $PY $B/gen_until.py $W/gen/c$s 60 $((600+s)) contest 0 $GT & done
for s in $(seq 1 ${GU:-5}); do timeout $((GT+30)) $PY $B/gen_until.py $W/gen/u$s 60 $((700+s)) uniform 0 $GT & done
for s in $(seq 1 ${GD:-6}); do timeout $((GT+30)) $PY $B/gen_until.py $W/gen/d$s 60 $((800+s)) mixed 1 $GT & done
sleep 2; while [ $(pgrep -f gen_until.py | wc -l) -gt 0 ]; do sleep 2; done
echo "generated in $(( $(date +%s) - t0 )) s: $(ls -d $W/gen/*/*/case* | wc -l) cases"
D="$DATA $W/gen"
CW=13 $PY $B/build_cache.py $W/cache_p 256 128 pool $D > $W/cache_p.log 2>&1 &
CW=13 $PY $B/build_cache.py $W/cache_n 256 0 linear $D > $W/cache_n.log 2>&1 &
sleep 2; while [ $(pgrep -f build_cache.py | wc -l) -gt 0 ]; do sleep 2; done
cat $W/cache_p.log $W/cache_n.log | grep -v Warn
E=$(( $(date +%s) - t0 )); T=$(( END - E < TMAX ? END - E : TMAX )); [ $T -lt 40 ] && T=40; echo "cached at $E s; training budget $T s"
for arm in "unet gpu n" "pdnnet gpu n" "unet gpu-prior128 p" "pdnnet gpu-prior128 p"; do
  set -- $arm; X=0; [ $1 = pdnnet ] && [ $3 = p ] && X=1
  CUDA_VISIBLE_DEVICES=0 timeout $((T+110)) $PY $B/train_arm.py $1 $2 $T $W/runs/${1}_${3}_a $W/cache_$3 0 a $X $D > $W/runs/log_${1}_${3}_a 2>&1 &
  CUDA_VISIBLE_DEVICES=1 timeout $((T+110)) $PY $B/train_arm.py $1 $2 $T $W/runs/${1}_${3}_b $W/cache_$3 1 b $X $D > $W/runs/log_${1}_${3}_b 2>&1 &
done
sleep 2; while [ $(pgrep -f train_arm.py | wc -l) -gt 0 ]; do sleep 3; done
echo "trained+evaluated at $(( $(date +%s) - t0 )) s"
cat $W/runs/log_* | grep -v Warning | cut -c1-2500
tar -C $W/runs --exclude='*.pt' -cf $OUT/runs.tar .
mkdir -p $OUT/ck; for r in pdnnet_p_a unet_p_a pdnnet_n_a unet_n_a; do [ -f $W/runs/$r/train/model.pt ] && cp $W/runs/$r/train/model.pt $OUT/ck/$r.pt; done
echo "done at $(( $(date +%s) - t0 )) s"
