/**
 * The bash that keeps a build's one shell session. Commands run one after another, each in a
 * fresh `bash` started with an empty environment that first loads the session's state (every
 * variable, function and the working directory the last command left) and saves it again on
 * exit, so `exit 1` ends one command, not the session, as on CodeBuild. The supervisor is the
 * process group leader; after each command it writes a marker with the exit status on stdout.
 */
export const SUPERVISOR = `exec 2>&1
state="$1"; marker="$2"; shift 2
export -p > "$state/env.sh"
pwd > "$state/cwd"
: > "$state/phase.sh"
while IFS= read -r script; do
  env -i "$BASH" --noprofile --norc "$@" "$script" "$state" </dev/null
  rc=$?
  printf '%s %d\\n' "$marker" "$rc"
done
`;

/** Shell variables bash manages itself: never saved, never restored. */
const BASH_OWN =
  'BASH*|FUNCNAME|PIPESTATUS|RANDOM|SRANDOM|SECONDS|LINENO|SHLVL|PWD|OLDPWD|_|EPOCHSECONDS|EPOCHREALTIME|' +
  'GROUPS|DIRSTACK|HISTCMD|IFS|OPTIND|OPTERR|OPTARG|PS1|PS2|PS4|PPID|UID|EUID|COLUMNS|LINES|HOSTNAME|' +
  'HOSTTYPE|MACHTYPE|OSTYPE|SHELLOPTS|COMP_WORDBREAKS|HISTFILE|HISTFILESIZE|HISTSIZE|MAILCHECK|__gantry_*';

const LOAD_STATE = `__gantry_state="$1"
. "$__gantry_state/env.sh"
. "$__gantry_state/phase.sh"
cd -- "$(< "$__gantry_state/cwd")" 2>/dev/null || cd -- "$CODEBUILD_SRC_DIR"
`;

const SAVE_STATE = `__gantry_save() {
  __gantry_rc=$?
  local __gantry_n
  local -a __gantry_vars=() __gantry_fns=()
  for __gantry_n in $(compgen -v); do
    case "$__gantry_n" in ${BASH_OWN}) continue ;; esac
    [[ \${!__gantry_n@a} == *r* ]] && continue
    __gantry_vars+=("$__gantry_n")
  done
  for __gantry_n in $(compgen -A function); do
    [[ $__gantry_n == __gantry_* ]] || __gantry_fns+=("$__gantry_n")
  done
  {
    ((\${#__gantry_vars[@]})) && declare -p "\${__gantry_vars[@]}"
    ((\${#__gantry_fns[@]})) && declare -f "\${__gantry_fns[@]}"
  } > "$__gantry_state/env.sh" 2>/dev/null
  pwd > "$__gantry_state/cwd"
  exit $__gantry_rc
}
trap __gantry_save EXIT
`;

/** One command of the session: load the state, run the command as written, save the state on any exit. */
export function commandScript(command: string): string {
  return `${LOAD_STATE}${SAVE_STATE}${command}\n`;
}

/** Writes `name\\0value\\0` for each exported variable that is set, once the last command has run. */
export function exportScript(names: readonly string[], outFile: string): string {
  const quoted = names.map((n) => `'${n}'`).join(' ');
  return (
    `${LOAD_STATE}for __gantry_n in ${quoted}; do\n` +
    `  [[ -n \${!__gantry_n+x} ]] && printf '%s\\0%s\\0' "$__gantry_n" "\${!__gantry_n}"\n` +
    `done > '${outFile.replace(/'/g, `'\\''`)}'\nexit 0\n`
  );
}
