#!/usr/bin/env bash
# The shipped threshold-CNN checkpoint (lithography/checkpoints/threshold-new.pt), on one GPU: the same datasets
# as `litho_model_bench` (film ground truth; old node 800 clips seed 11, new node 800 clips seed 12, new-node
# test 400 clips seed 13), then `chipsmith litho train` pretrained on the old node, fine-tuned on 800 new-node
# labels, scored on the held-out test clips; then `litho predict` on an in-repo StdContact layout.
# Run from the repository root: OUT=<results> bash benchmarks/device/litho_checkpoint.sh
set -eu
W=${W:-/tmp}; PY=${PY:-python3}; R=$PWD; DEV=${DEV:-cuda}
. benchmarks/device/pkg_shim.sh
export CHIPSMITH_DATA=$R/tests/data PYTHONUNBUFFERED=1
OUT=${OUT:-$W/lout}; D=$W/litho-data; mkdir -p $OUT
cd $W  # not the repository root, whose chipsmith/ would shadow the package
t0=$(date +%s)
for s in "old ${NS:-800} 11 source" "new ${NS:-800} 12 target" "new ${NT:-400} 13 test"; do
  set -- $s
  $PY -m chipsmith litho generate --node $1 --count $2 --seed $3 --resist film --device $DEV --workers 4 --quiet --out $D/$4 &
done
wait
echo "generated at $(( $(date +%s) - t0 )) s"
$PY -m chipsmith litho train --source $D/source --target $D/target --test $D/test --budget ${BUDGET:-800} \
  --select ${SELECT:-random} --steps 800 --pretrain-steps 1500 --device $DEV --seed 0 --out $OUT/model --json
echo "trained at $(( $(date +%s) - t0 )) s"
L=$R/tests/data/iccad13-litho/layouts/StdContact/AND2_X4__0_0.glp
$PY -m chipsmith litho predict $L --model $OUT/model --device $DEV --out $W/pred --json > $OUT/predict.json || true
tail -c 1500 $OUT/predict.json
echo "done at $(( $(date +%s) - t0 )) s"
