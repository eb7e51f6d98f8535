# bash completion for virtwire(1)
# Commands, their options, and network and domain names (from the same
# --root and --connect as the command line being completed).

_virtwire_networks()
{
    "$1" "${@:2}" net-list --all --name 2>/dev/null
}

_virtwire_domains()
{
    "$1" "${@:2}" list --all 2>/dev/null | awk 'NR > 2 { print $2 }'
}

_virtwire()
{
    local cur prev words cword
    _init_completion || return

    local commands="agent attach-interface detach-interface domiflist gc help hook-install hook-uninstall
        list net-autostart net-define net-destroy net-dhcp-leases net-dumpxml net-edit net-info net-leases
        net-list net-start net-undefine port-list version"
    local globals="-c --connect -r --root --json -q --quiet -h --help -v --version"

    # the global options given so far, and where the command is
    local -a gopts=()
    local i cmd="" cmdidx=0
    for ((i = 1; i < cword; i++)); do
        case "${words[i]}" in
        -c | --connect | -r | --root)
            gopts+=("${words[i]}" "${words[i + 1]}")
            ((i++))
            ;;
        --connect=* | --root=*) gopts+=("${words[i]}") ;;
        -*) ;;
        *)
            cmd="${words[i]}"
            cmdidx=$i
            break
            ;;
        esac
    done

    if [[ -z $cmd ]]; then
        case "$prev" in
        -r | --root)
            _filedir -d
            return
            ;;
        -c | --connect)
            COMPREPLY=($(compgen -W "qemu:///system qemu:///session test:///default" -- "$cur"))
            return
            ;;
        esac
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$globals" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    # which argument of the command is being completed; the global options
    # count after the command too (for the network names of the same root)
    local opts="" nargs=1
    for ((i = cmdidx + 1; i < cword; i++)); do
        case "${words[i]}" in
        -c | --connect | -r | --root)
            gopts+=("${words[i]}" "${words[i + 1]}")
            ((i++))
            ;;
        --connect=* | --root=*) gopts+=("${words[i]}") ;;
        --hooks-dir | --hook | --mac | --model | --queues) ((i++)) ;;
        -*) ;;
        *) ((nargs++)) ;;
        esac
    done

    case "$cmd" in
    attach-interface) opts="--mac --model --queues --current --live --config --persistent --print-domain" ;;
    detach-interface) opts="--mac --current --live --config --persistent --print-domain" ;;
    hook-install) opts="--hooks-dir --hook" ;;
    hook-uninstall) opts="--hooks-dir" ;;
    list) opts="--all" ;;
    net-list) opts="--all --inactive --persistent --transient --autostart --no-autostart --uuid
        --name" ;;
    net-dumpxml) opts="--inactive" ;;
    net-autostart) opts="--disable" ;;
    net-destroy) opts="--force" ;;
    net-dhcp-leases) opts="--mac" ;;
    esac

    case "$prev" in
    --hooks-dir)
        _filedir -d
        return
        ;;
    --hook)
        _filedir
        return
        ;;
    --model)
        COMPREPLY=($(compgen -W "virtio e1000 e1000e rtl8139" -- "$cur"))
        return
        ;;
    --mac | --queues) return ;;
    -r | --root)
        _filedir -d
        return
        ;;
    -c | --connect)
        COMPREPLY=($(compgen -W "qemu:///system qemu:///session test:///default" -- "$cur"))
        return
        ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts -c --connect -r --root --json -q --quiet --help" -- "$cur"))
        return
    fi

    case "$cmd" in
    help)
        ((nargs == 1)) && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        ;;
    net-define)
        ((nargs == 1)) && _filedir xml
        ;;
    net-undefine | net-start | net-destroy | net-info | net-dumpxml | net-edit | \
        net-autostart | net-leases | net-dhcp-leases | port-list)
        ((nargs == 1)) &&
            COMPREPLY=($(compgen -W "$(_virtwire_networks "$1" "${gopts[@]}")" -- "$cur"))
        ;;
    attach-interface)
        if ((nargs == 1)); then
            COMPREPLY=($(compgen -W "$(_virtwire_domains "$1" "${gopts[@]}")" -- "$cur"))
        elif ((nargs == 2)); then
            COMPREPLY=($(compgen -W "$(_virtwire_networks "$1" "${gopts[@]}")" -- "$cur"))
        fi
        ;;
    detach-interface | domiflist)
        ((nargs == 1)) &&
            COMPREPLY=($(compgen -W "$(_virtwire_domains "$1" "${gopts[@]}")" -- "$cur"))
        ;;
    esac
} && complete -F _virtwire virtwire
