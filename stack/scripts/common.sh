# Shared by the stack's scripts (sourced, not run): where things are, and the checks every
# script makes before it changes anything.
# shellcheck shell=bash

SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STACK_DIR="$(dirname "$SCRIPTS_DIR")"
REPO_DIR="$(dirname "$STACK_DIR")"
SCRIPT_NAME="$(basename "$0" .sh)"
export SCRIPTS_DIR STACK_DIR REPO_DIR

die() {
  echo "$SCRIPT_NAME: $*" >&2
  exit 1
}

need_command() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed: $2"
}

# The interpreter the Spine harness is installed in: PYTHON, else the checkout's .venv (made by
# `make setup`), else python3.
harness_python() {
  local python="${PYTHON:-}"
  if [ -z "$python" ]; then
    if [ -x "$REPO_DIR/.venv/bin/python" ]; then python="$REPO_DIR/.venv/bin/python"; else python=python3; fi
  fi
  "$python" -c 'import spine_harness' 2>/dev/null \
    || die "$python cannot import spine_harness: run \`make setup\` in $REPO_DIR, or set PYTHON"
  echo "$python"
}

# Ask before changing anything; without a terminal, refuse unless --yes was given.
confirm() {
  local question="$1" assume_yes="$2" answer
  [ "$assume_yes" = 1 ] && return 0
  [ -t 0 ] || die "no terminal to confirm \"$question\": rerun with --yes to proceed unattended"
  read -r -p "$question [y/N] " answer
  case "$answer" in
    y|Y|yes|YES) return 0 ;;
    *) die "stopped; nothing was changed" ;;
  esac
}

# Copy a file about to be edited to BACKUP_DIR (default: the checkout's .spine/backups).
backup_file() {
  local file="$1" dir="${BACKUP_DIR:-$REPO_DIR/.spine/backups}" copy
  [ -e "$file" ] || return 0
  mkdir -p "$dir"
  chmod 700 "$dir"
  copy="$dir/$(basename "$file").$(date +%Y%m%d-%H%M%S)"
  cp -p "$file" "$copy"
  echo "backed up $file to $copy"
}

next_step() {
  echo
  echo "next: $*"
}
