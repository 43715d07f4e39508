#!/usr/bin/env bash
# Idempotent set-up shared by bin/run and bin/test: Python 3.10 venv, project install,
# local spaCy pipeline, Rasa model. Each step is skipped when its inputs did not change.
#
# One line per step. What the tools print (pip, spaCy, Rasa training: mostly third-party
# warnings) goes to var/setup.log; a failed step shows its end. Lines that look like a warning
# or an error and are not on the list of known third-party noise below are shown too (a few).
#
#   bin/setup.sh [--no-train]    --no-train: leave the Rasa model as it is (bin/test --fast)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
STAMPS="$VENV/.stamps"
LOG="$ROOT/var/setup.log"
TRAIN=1
for arg in "$@"; do
  case "$arg" in
    --no-train) TRAIN=0 ;;
    *) printf '[setup] unknown option: %s (usage: bin/setup.sh [--no-train])\n' "$arg" >&2; exit 2 ;;
  esac
done

# Known third-party noise (kept in the log, never shown): TensorFlow/CUDA start-up, deprecations
# in Rasa's dependencies, Rasa's own advice on the training data, pip's resolver chatter.
KNOWN_NOISE='tensorflow|cuda|TF-TRT|oneDNN|cpu_feature_guard|rebuild TensorFlow|DeprecationWarning'
KNOWN_NOISE+='|PendingDeprecation|MovedIn20Warning|SADeprecationWarning|SQLALCHEMY_WARN_20'
KNOWN_NOISE+='|pkg_resources|declare_namespace|np\.bool|numpy|sanic|jax|keras|absl|google\.'
KNOWN_NOISE+='|UserWarning|FutureWarning|warnings\.warn|rasa\.shared\.utils\.io|rasa\.utils\.train_utils'
KNOWN_NOISE+='|epochs|constrain_similarities|model_confidence|No lookup tables|Slot auto-fill'
KNOWN_NOISE+='|is ignored: it is neither|dependency resolver|pip version|pip install --upgrade'

mkdir -p "$ROOT/var"
printf '=== bin/setup.sh %s, %s\n' "$*" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" > "$LOG"

say() { printf '[setup] %s\n' "$*" >&2; }

# step "what it does" command...: runs the command with its output in the log, prints one line.
step() {
  local title="$1"; shift
  local first started status=0
  first=$(( $(wc -l < "$LOG") + 1 ))
  started=$(date +%s)
  printf -- '--- %s\n' "$title" >> "$LOG"
  "$@" >> "$LOG" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    say "$title: FAILED (exit $status); its last lines, all in var/setup.log:"
    tail -n "+$first" "$LOG" | tail -n 25 >&2
    exit "$status"
  fi
  say "$title: done in $(( $(date +%s) - started )) s"
  local unknown
  unknown="$(tail -n "+$first" "$LOG" | grep -iE 'warn|error' | grep -viE "$KNOWN_NOISE" || true)"
  if [ -n "$unknown" ]; then
    printf '%s\n' "$unknown" | head -n 5 | sed 's/^/[setup]   /' >&2
    say "  ($(printf '%s\n' "$unknown" | wc -l) unexpected warning line(s); all in var/setup.log)"
  fi
}

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
  step "creating .venv with $PY" "$PY" -m venv "$VENV"
fi
mkdir -p "$STAMPS"

install_project() {
  "$VENV/bin/python" -m pip install --quiet -e . && "$VENV/bin/python" -m pip check
}

# Only the dependency list counts: editing lint settings must not trigger a reinstall.
deps_hash="$(sed -n '/^requires-python/p; /^dependencies/,/^\]/p; /^\[project.scripts\]/,/^$/p' pyproject.toml \
  | sha256sum | cut -c1-16)"
if [ "$(cat "$STAMPS/deps" 2>/dev/null)" != "$deps_hash" ]; then
  step "installing the project and its pinned dependencies (first time: a few minutes)" install_project
  echo "$deps_hash" > "$STAMPS/deps"
else
  say "dependencies: up to date"
fi

export RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONHASHSEED=0
PY="$VENV/bin/python"

# Local spaCy pipeline: rebuilt only when its code or patterns change.
SPACY_DIR="$ROOT/var/spacy/bone_coach_en"
spacy_hash="$(hash_of bot/nlp/build_pipeline.py bot/content/entity_patterns.yml)"
if [ ! -f "$SPACY_DIR/meta.json" ] || [ "$(cat "$STAMPS/spacy" 2>/dev/null)" != "$spacy_hash" ]; then
  step "building the local spaCy pipeline" "$PY" -m bot.nlp.build_pipeline "$SPACY_DIR"
  echo "$spacy_hash" > "$STAMPS/spacy"
else
  say "spaCy pipeline: up to date"
fi

# Rasa model: retrained only when what it learns from changes (content hash).
MODEL="$ROOT/models/bone-coach.tar.gz"
# (The red-flag net and the entity rules read their files when the model loads, but the spelling
# corrector stores every word of bot/content/*.yml with the model: a new word there retrains.)
DOMAIN=domain.yml; [ -f "$DOMAIN" ] || DOMAIN=domain  # one file, or the older folder
train_inputs=(config.yml $(find data "$DOMAIN" -name '*.yml' | sort) $(find bot/content -name '*.yml' | sort)
              bot/nlp/build_pipeline.py bot/nlp/spelling.py bot/nlp/sentence_features.py)
model_hash="$(hash_of "${train_inputs[@]}")"
if [ -f "$MODEL" ] && [ "$(cat "$ROOT/models/.inputs_hash" 2>/dev/null)" = "$model_hash" ]; then
  say "Rasa model: up to date"
elif [ "$TRAIN" = 0 ]; then
  say "Rasa model: $([ -f "$MODEL" ] && echo "out of date" || echo "missing"), not trained (--no-train)"
else
  started=$(date +%s)
  # --skip-validation: `rasa data validate` runs in the tests, stricter (warnings fail them:
  # tests/conversation/test_data_validation.py); here it would cost seconds on every training.
  step "training the Rasa model (inputs changed; a few minutes)" \
    "$VENV/bin/rasa" train --config config.yml --domain "$DOMAIN" --data data --out models \
    --fixed-model-name bone-coach --quiet --skip-validation
  echo "$model_hash" > "$ROOT/models/.inputs_hash"
  echo "$(( $(date +%s) - started ))" > "$ROOT/models/.train_seconds"
fi
# What Rasa's own loader predicts with this model: the reference of the faster serving loader
# (bot/serving/model_loader.py, checked by tests/serving/test_model_loader.py).
PROBE="$ROOT/models/.stock_loader_predictions.json"
if [ "$TRAIN" = 1 ] && [ -f "$MODEL" ] && { [ ! -f "$PROBE" ] || [ "$MODEL" -nt "$PROBE" ]; }; then
  step "recording the model's predictions with Rasa's own loader (about 30 s)" \
    env PYTHONPATH="$ROOT" RASA_TELEMETRY_ENABLED=false "$VENV/bin/python" -m tests.support.serving_probe
fi
