#!/usr/bin/env bash
# The fine-tuning study of the threshold CNN (litho_model_bench stage=study, STUDY_ARMS) on one GPU: film
# ground truth; old node 800 clips (seed 11), newer-node pool 800 (12), test 400 (13) and, as the "self"
# source, 800 more newer-node clips (15); learning curves at 10..800 labelled contacts, 2 seeds.
# Run from the repository root: OUT=<results> bash benchmarks/device/litho_study.sh [key=value ...]
set -eu
W=${W:-/tmp}; PY=${PY:-python3}; R=$PWD
. benchmarks/device/pkg_shim.sh
export CHIPSMITH_DATA=$R/tests/data PYTHONUNBUFFERED=1
OUT=${OUT:-$W/lout}; mkdir -p $OUT
cd $W  # not the repository root, whose chipsmith/ would shadow the package
$PY -m chipsmith.benchmarks.litho_model_bench $OUT/study stage=study source_count=800 self_count=800 count=800 \
  budgets=10,25,50,100,200,400,800 seeds=2 steps=800 val=0 workers=14 data=$W/litho-data "$@"
