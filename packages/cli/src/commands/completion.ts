/**
 * `jobfleet completion bash|zsh`: a static completion script generated from the command tree (commander
 * has none built in): subcommands, their options, resource types where a command takes one, and
 * file names after options that take a value. zsh loads the same function through bashcompinit.
 */
import { Argument, type Command, type Option } from 'commander';
import { UsageError } from '../errors.js';

const RESOURCE_TYPES = 'jobs cronjobs pods events nodes namespaces';
/** The commands whose first argument is a resource type. */
const TAKES_RESOURCE_TYPE = new Set(['get', 'describe', 'delete']);

export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(jobfleet completion bash), or in zsh: source <(jobfleet completion zsh)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh']))
    .action((shell: 'bash' | 'zsh', _options: unknown, command: Command) => {
      const root = command.parent;
      if (!root) throw new UsageError('completion has no command tree');
      process.stdout.write(shell === 'bash' ? bashCompletion(root) : zshCompletion(root));
    });
}

function flagsOf(options: readonly Option[]): string[] {
  return [...options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)), '--help'];
}

/** Flags that take a value: the word after them is that value (completed as a file name), not a subcommand. */
function valueFlagsOf(options: readonly Option[]): string[] {
  return options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));
}

/** Words safe in a double-quoted shell string, each once. */
function quoteWords(words: readonly string[]): string {
  return [...new Set(words)].filter((w) => /^[\w.-]+$/.test(w)).join(' ');
}

export function bashCompletion(program: Command): string {
  const commands = program.commands.filter((c) => c.name() !== 'help');
  const globals = flagsOf(program.options);
  const globalValues = valueFlagsOf(program.options);
  const cases = commands.map((c) => {
    const subcommands = c.commands.map((s) => s.name());
    const extra = [...(TAKES_RESOURCE_TYPE.has(c.name()) ? RESOURCE_TYPES.split(' ') : []), ...(c.name() === 'completion' ? ['bash', 'zsh'] : [])];
    const words = [...subcommands, ...extra, ...flagsOf(c.options), ...c.commands.flatMap((s) => flagsOf(s.options)), ...globals];
    const values = [...valueFlagsOf(c.options), ...c.commands.flatMap((s) => valueFlagsOf(s.options)), ...globalValues];
    return `    ${c.name()}) words="${quoteWords(words)}"; values="${quoteWords(values)}" ;;`;
  });
  return `# jobfleet completion for bash: source <(jobfleet completion bash)
_jobfleet() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="" words="" values="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -*) case " ${quoteWords(globalValues)} " in *" \${COMP_WORDS[i]} "*) ((i++)) ;; esac ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  case "$cmd" in
    "") words="${quoteWords([...commands.map((c) => c.name()), ...globals])}"; values="${quoteWords(globalValues)}" ;;
${cases.join('\n')}
  esac
  # After an option that takes a value: no words, so that -o default completes file names.
  case " $values " in *" $prev "*) COMPREPLY=(); return 0 ;; esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _jobfleet jobfleet
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef jobfleet
# jobfleet completion for zsh: source <(jobfleet completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program).split('\n').slice(1).join('\n')}`;
}
