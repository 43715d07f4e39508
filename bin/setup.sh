#!/usr/bin/env bash
# Idempotent set-up shared by bin/run and bin/test: Python 3.10 venv, project install,
# local spaCy pipeline, Rasa model. Each step is skipped when its inputs did not change.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
STAMPS="$VENV/.stamps"

say() { printf '[setup] %s\n' "$*" >&2; }

find_python310() {
  local candidates=()
  [ -n "${PYTHON310:-}" ] && candidates+=("$PYTHON310")
  candidates+=("python3.10")
  if command -v pyenv >/dev/null 2>&1; then
    local root; root="$(pyenv root)"
    for d in "$root"/versions/3.10.*; do
      [ -x "$d/bin/python3.10" ] && candidates+=("$d/bin/python3.10")
    done
  fi
  candidates+=("/usr/bin/python3.10" "/usr/local/bin/python3.10" "python3")
  for c in "${candidates[@]}"; do
    if out="$("$c" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" \
       && [ "$out" = "3.10" ]; then
      command -v "$c" 2>/dev/null || echo "$c"
      return 0
    fi
  done
  return 1
}

hash_of() {
  local f
  for f in "$@"; do [ -f "$f" ] || { say "missing input file: $f"; exit 1; }; done
  cat "$@" | sha256sum | cut -c1-16
}

if [ ! -x "$VENV/bin/python" ]; then
  PY="$(find_python310)" || {
    say "No working Python 3.10 found (Rasa 3.6 needs 3.8-3.10; this project pins 3.10)."
    say "Install one, e.g.:  pyenv install 3.10.13   or   apt install python3.10 python3.10-venv"
    say "or point PYTHON310=/path/to/python3.10 at an existing interpreter, then re-run."
    exit 1
  }
  say "creating .venv with $PY"
  "$PY" -m venv "$VENV"
fi
mkdir -p "$STAMPS"

# Only the dependency list counts: editing lint settings must not trigger a reinstall.
deps_hash="$(sed -n '/^requires-python/p; /^dependencies/,/^\]/p; /^\[project.scripts\]/,/^$/p' pyproject.toml \
  | sha256sum | cut -c1-16)"
if [ "$(cat "$STAMPS/deps" 2>/dev/null)" != "$deps_hash" ]; then
  say "installing the project and its pinned dependencies (first time: a few minutes)"
  if ! "$VENV/bin/python" -m pip install --quiet -e . >"$VENV/pip-install.log" 2>&1; then
    grep -v "is ignored: it is neither" "$VENV/pip-install.log" >&2
    say "pip install failed (log: $VENV/pip-install.log)"; exit 1
  fi
  "$VENV/bin/python" -m pip check >&2
  echo "$deps_hash" > "$STAMPS/deps"
fi

export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0
PY="$VENV/bin/python"

# Local spaCy pipeline: rebuilt only when its code or patterns change.
SPACY_DIR="$ROOT/var/spacy/bone_coach_en"
spacy_hash="$(hash_of bot/nlp/build_pipeline.py bot/content/entity_patterns.yml)"
if [ ! -f "$SPACY_DIR/meta.json" ] || [ "$(cat "$STAMPS/spacy" 2>/dev/null)" != "$spacy_hash" ]; then
  say "building the local spaCy pipeline"
  "$PY" -m bot.nlp.build_pipeline "$SPACY_DIR"
  echo "$spacy_hash" > "$STAMPS/spacy"
fi

# Rasa model: retrained only when what it learns from changes (content hash).
MODEL="$ROOT/models/bone-coach.tar.gz"
# (The red-flag net and the entity rules read their files when the model loads: no retraining.)
train_inputs=(config.yml $(find data domain -name '*.yml' | sort) bot/content/entity_patterns.yml
              bot/nlp/build_pipeline.py)
model_hash="$(hash_of "${train_inputs[@]}")"
if [ ! -f "$MODEL" ] || [ "$(cat "$ROOT/models/.inputs_hash" 2>/dev/null)" != "$model_hash" ]; then
  say "training the Rasa model (inputs changed)"
  started=$(date +%s)
  "$VENV/bin/rasa" train --config config.yml --domain domain --data data --out models \
    --fixed-model-name bone-coach --quiet >&2
  echo "$model_hash" > "$ROOT/models/.inputs_hash"
  echo "$(( $(date +%s) - started ))" > "$ROOT/models/.train_seconds"
  say "trained in $(cat "$ROOT/models/.train_seconds") s"
fi
