#!/usr/bin/env bash
# Submit a corpussieve job to any Spark master.
#
#   scripts/submit.sh [spark-submit options...] -- JOB [job arguments...]
#   scripts/submit.sh --master spark://127.0.0.1:7077 -- ingest --input data/ --output lake/raw
#
# Packages lib/ into build/corpussieve.zip for --py-files, so executors import the same code as
# the driver. The Python dependencies (pyarrow, deltalake, numpy, ...) must be installed on every
# node; PYSPARK_PYTHON selects the interpreter that has them (default: this venv's python).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

submit_opts=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  submit_opts+=("$1"); shift
done
if [ $# -eq 0 ]; then
  echo "usage: scripts/submit.sh [spark-submit options...] -- JOB [job arguments...]" >&2
  exit 2
fi
shift
job="${1:?usage: scripts/submit.sh [spark-submit options...] -- JOB [job arguments...]}"; shift
entry="$here/jobs/$job.py"
# a job named like a standard-library module (inspect) has its entry as <job>_job.py: see jobs/inspect_job.py
[ -f "$entry" ] || entry="$here/jobs/${job}_job.py"
if [ ! -f "$entry" ]; then
  echo "error: unknown job '$job' (no jobs/$job.py or jobs/${job}_job.py); jobs: $(cd "$here/jobs" && ls *.py | sed 's/\(_job\)\{0,1\}\.py$//' | tr '\n' ' ')" >&2
  exit 2
fi

python_bin="${PYTHON:-$here/.venv/bin/python}"
[ -x "$python_bin" ] || python_bin="$(command -v python3)"
if [ -n "${SPARK_HOME:-}" ] && [ -x "$SPARK_HOME/bin/spark-submit" ]; then
  spark_submit="$SPARK_HOME/bin/spark-submit"
else
  pyspark_dir="$("$python_bin" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
  spark_submit="$pyspark_dir/bin/spark-submit"
fi

mkdir -p "$here/build"
zip_path="$here/build/corpussieve.zip"
rm -f "$zip_path"
(cd "$here/lib" && "$python_bin" - "$zip_path" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as zf:
    for folder, dirs, files in os.walk("corpussieve"):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if not name.endswith((".pyc", ".pyo")):
                zf.write(os.path.join(folder, name))
PY
)

export PYSPARK_PYTHON="${PYSPARK_PYTHON:-$python_bin}"
export PYSPARK_DRIVER_PYTHON="${PYSPARK_DRIVER_PYTHON:-$python_bin}"
exec "$spark_submit" --py-files "$zip_path" "${submit_opts[@]}" "$entry" "$@"
