# Source from the repository root: makes this checkout importable as `chipsmith` without installing it
# (a copy of chipsmith/ with the capability folders linked in, on PYTHONPATH). Run Python from
# elsewhere than the repository root afterwards: the root's own chipsmith/ holds only the CLI.
R=${R:-$PWD}; W=${W:-/tmp}
mkdir -p $W/pkg && cp -r $R/chipsmith $W/pkg/ && for d in spice agents layout irdrop lithography benchmarks; do ln -sfn $R/$d $W/pkg/chipsmith/$d; done
export PYTHONPATH=$W/pkg
