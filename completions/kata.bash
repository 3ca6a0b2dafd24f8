#!/bin/bash

__kata_cursor_index_in_current_word() {
    local remaining="${COMP_LINE}"

    local word
    for word in "${COMP_WORDS[@]::COMP_CWORD}"; do
        remaining="${remaining##*([[:space:]])"${word}"*([[:space:]])}"
    done

    local -ir index="$((COMP_POINT - ${#COMP_LINE} + ${#remaining}))"
    if [[ "${index}" -le 0 ]]; then
        printf 0
    else
        printf %s "${index}"
    fi
}

# positional arguments:
#
# - 1: the current (sub)command's count of positional arguments
#
# required variables:
#
# - repeating_flags: the repeating flags that the current (sub)command can accept
# - non_repeating_flags: the non-repeating flags that the current (sub)command can accept
# - repeating_options: the repeating options that the current (sub)command can accept
# - non_repeating_options: the non-repeating options that the current (sub)command can accept
# - positional_number: value ignored
# - unparsed_words: unparsed words from the current command line
#
# modified variables:
#
# - non_repeating_flags: remove flags for this (sub)command that are already on the command line
# - non_repeating_options: remove options for this (sub)command that are already on the command line
# - positional_number: set to the current positional number
# - unparsed_words: remove all flags, options, and option values for this (sub)command
__kata_offer_flags_options() {
    local -ir positional_count="${1}"
    positional_number=0

    local was_flag_option_terminator_seen=false
    local is_parsing_option_value=false

    local -ar unparsed_word_indices=("${!unparsed_words[@]}")
    local -i word_index
    for word_index in "${unparsed_word_indices[@]}"; do
        if "${is_parsing_option_value}"; then
            # This word is an option value:
            # Reset marker for next word iff not currently the last word
            [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]] && is_parsing_option_value=false
            unset "unparsed_words[${word_index}]"
            # Do not process this word as a flag or an option
            continue
        fi

        local word="${unparsed_words["${word_index}"]}"
        if ! "${was_flag_option_terminator_seen}"; then
            case "${word}" in
            --)
                unset "unparsed_words[${word_index}]"
                # by itself -- is a flag/option terminator, but if it is the last word, it is the start of a completion
                if [[ "${word_index}" -ne "${unparsed_word_indices[${#unparsed_word_indices[@]} - 1]}" ]]; then
                    was_flag_option_terminator_seen=true
                fi
                continue
                ;;
            -*)
                # ${word} is a flag or an option
                # If ${word} is an option, mark that the next word to be parsed is an option value
                local option
                for option in "${repeating_options[@]}" "${non_repeating_options[@]}"; do
                    [[ "${word}" = "${option}" ]] && is_parsing_option_value=true && break
                done

                # Remove ${word} from ${non_repeating_flags} or ${non_repeating_options} so it isn't offered again
                local not_found=true
                local -i index
                for index in "${!non_repeating_flags[@]}"; do
                    if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                        unset "non_repeating_flags[${index}]"
                        non_repeating_flags=("${non_repeating_flags[@]}")
                        not_found=false
                        break
                    fi
                done
                if "${not_found}"; then
                    for index in "${!non_repeating_flags[@]}"; do
                        if [[ "${non_repeating_flags[${index}]}" = "${word}" ]]; then
                            unset "non_repeating_flags[${index}]"
                            non_repeating_flags=("${non_repeating_flags[@]}")
                            break
                        fi
                    done
                fi
                unset "unparsed_words[${word_index}]"
                continue
                ;;
            esac
        fi

        # ${word} is neither a flag, nor an option, nor an option value
        if [[ "${positional_number}" -lt "${positional_count}" || "${positional_count}" -lt 0 ]]; then
            # ${word} is a positional
            ((positional_number++))
            unset "unparsed_words[${word_index}]"
        else
            if [[ -z "${word}" ]]; then
                # Could be completing a flag, option, or subcommand
                positional_number=-1
            else
                # ${word} is a subcommand or invalid, so stop processing this (sub)command
                positional_number=-2
            fi
            break
        fi
    done

    unparsed_words=("${unparsed_words[@]}")

    if\
        ! "${was_flag_option_terminator_seen}"\
        && ! "${is_parsing_option_value}"\
        && [[ ("${cur}" = -* && "${positional_number}" -ge 0) || "${positional_number}" -eq -1 ]]
    then
        COMPREPLY+=($(compgen -W "${repeating_flags[*]} ${non_repeating_flags[*]} ${repeating_options[*]} ${non_repeating_options[*]}" -- "${cur}"))
    fi
}

__kata_add_completions() {
    local completion
    while IFS='' read -r completion; do
        COMPREPLY+=("${completion}")
    done < <(IFS=$'\n' compgen "${@}" -- "${cur}")
}

__kata_custom_complete() {
    if [[ -n "${cur}" || -z ${COMP_WORDS[${COMP_CWORD}]} || "${COMP_LINE:${COMP_POINT}:1}" != ' ' ]]; then
        local -ar words=("${COMP_WORDS[@]}")
    else
        local -ar words=("${COMP_WORDS[@]::${COMP_CWORD}}" '' "${COMP_WORDS[@]:${COMP_CWORD}}")
    fi

    "${COMP_WORDS[0]}" "${@}" "${words[@]}"
}

_kata() {
    local state
    state="$(shopt -p;shopt -po)"
    trap "${state//$'\n'/;}" RETURN
    shopt -s extglob
    set +o history +o posix

    local -xr SAP_SHELL=bash
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(IFS='.';printf %s "${BASH_VERSINFO[*]}")"
    local -r SAP_SHELL_VERSION

    local -r cur="${2}"
    local -r prev="${3}"

    local -i positional_number
    local -a unparsed_words=("${COMP_WORDS[@]:1:${COMP_CWORD}}")

    local -a repeating_flags=()
    local -a non_repeating_flags=(--version -h --help)
    local -a repeating_options=()
    local -a non_repeating_options=()
    __kata_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    init|create|list|show|edit|comment|close|reopen|label|assign|unassign|delete|restore|purge|search|ready|events|projects|export|import|tokens|auth|whoami|health|version|daemon|help)
        # Offer subcommand argument completions
        "_kata_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'init create list show edit comment close reopen label assign unassign delete restore purge search ready events projects export import tokens auth whoami health version daemon help' -- "${cur}"))
        ;;
    esac
}

_kata_init() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --replace --reassign --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_create() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --body-stdin --force-new --version -h --help)
    repeating_options=(--label --blocks --blocked-by --related)
    non_repeating_options=(--project --workspace --server --actor --body --body-file --owner --parent --idempotency-key)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--body')
        return
        ;;
    '--body-file')
        return
        ;;
    '--label')
        return
        ;;
    '--owner')
        return
        ;;
    '--parent')
        return
        ;;
    '--blocks')
        return
        ;;
    '--blocked-by')
        return
        ;;
    '--related')
        return
        ;;
    '--idempotency-key')
        return
        ;;
    esac
}

_kata_list() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --all-projects --version -h --help)
    repeating_options=(--label)
    non_repeating_options=(--project --workspace --server --actor --status --owner --author --limit --cursor)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--status')
        __kata_add_completions -W 'open'$'\n''closed'$'\n''all'
        return
        ;;
    '--label')
        return
        ;;
    '--owner')
        return
        ;;
    '--author')
        return
        ;;
    '--limit')
        return
        ;;
    '--cursor')
        return
        ;;
    esac
}

_kata_show() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --comments --events --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_edit() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --body-stdin --no-owner --remove-parent --version -h --help)
    repeating_options=(--blocks --remove-blocks --blocked-by --remove-blocked-by --related --remove-related)
    non_repeating_options=(--project --workspace --server --actor --title --body --body-file --owner --parent)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--title')
        return
        ;;
    '--body')
        return
        ;;
    '--body-file')
        return
        ;;
    '--owner')
        return
        ;;
    '--parent')
        return
        ;;
    '--blocks')
        return
        ;;
    '--remove-blocks')
        return
        ;;
    '--blocked-by')
        return
        ;;
    '--remove-blocked-by')
        return
        ;;
    '--related')
        return
        ;;
    '--remove-related')
        return
        ;;
    esac
}

_kata_comment() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --body-stdin --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor --body --body-file)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--body')
        return
        ;;
    '--body-file')
        return
        ;;
    esac
}

_kata_close() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor --reason --message)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--reason')
        __kata_add_completions -W 'done'$'\n''wontfix'$'\n''duplicate'
        return
        ;;
    '--message')
        return
        ;;
    esac
}

_kata_reopen() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_label() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __kata_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    add|rm)
        # Offer subcommand argument completions
        "_kata_label_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'add rm' -- "${cur}"))
        ;;
    esac
}

_kata_label_add() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_label_rm() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options -1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_assign() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 2

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_unassign() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_delete() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --force --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor --confirm)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--confirm')
        return
        ;;
    esac
}

_kata_restore() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_purge() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --force --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor --confirm --reason)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--confirm')
        return
        ;;
    '--reason')
        return
        ;;
    esac
}

_kata_search() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --all-projects --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor --limit)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--limit')
        return
        ;;
    esac
}

_kata_ready() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --all-projects --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor --limit)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--limit')
        return
        ;;
    esac
}

_kata_events() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --follow --all-projects --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor --after --limit)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--after')
        return
        ;;
    '--limit')
        return
        ;;
    esac
}

_kata_projects() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __kata_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    list|show)
        # Offer subcommand argument completions
        "_kata_projects_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'list show' -- "${cur}"))
        ;;
    esac
}

_kata_projects_list() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_projects_show() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_export() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --force --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor --out)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--out')
        return
        ;;
    esac
}

_kata_import() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --merge --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_tokens() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __kata_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    create|list|revoke)
        # Offer subcommand argument completions
        "_kata_tokens_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'create list revoke' -- "${cur}"))
        ;;
    esac
}

_kata_tokens_create() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--server --actor --name --role --expires)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--name')
        return
        ;;
    '--role')
        return
        ;;
    '--expires')
        return
        ;;
    esac
}

_kata_tokens_list() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_tokens_revoke() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 1

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_auth() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __kata_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    login|logout|status)
        # Offer subcommand argument completions
        "_kata_auth_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'login logout status' -- "${cur}"))
        ;;
    esac
}

_kata_auth_login() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --password-stdin --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor --username --token)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--username')
        return
        ;;
    '--token')
        return
        ;;
    esac
}

_kata_auth_logout() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --revoke --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_auth_status() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_whoami() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_health() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_version() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_daemon() {
    repeating_flags=()
    non_repeating_flags=(--version -h --help)
    repeating_options=()
    non_repeating_options=()
    __kata_offer_flags_options 0

    # Offer subcommand / subcommand argument completions
    local -r subcommand="${unparsed_words[0]}"
    unset 'unparsed_words[0]'
    unparsed_words=("${unparsed_words[@]}")
    case "${subcommand}" in
    start|stop|status|logs)
        # Offer subcommand argument completions
        "_kata_daemon_${subcommand}"
        ;;
    *)
        # Offer subcommand completions
        COMPREPLY+=($(compgen -W 'start stop status logs' -- "${cur}"))
        ;;
    esac
}

_kata_daemon_start() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --insecure-readonly --foreground --version -h --help)
    repeating_options=(--listen)
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--listen')
        return
        ;;
    esac
}

_kata_daemon_stop() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_daemon_status() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    esac
}

_kata_daemon_logs() {
    repeating_flags=()
    non_repeating_flags=(--json --quiet --version -h --help)
    repeating_options=()
    non_repeating_options=(--project --workspace --server --actor --lines)
    __kata_offer_flags_options 0

    # Offer option value completions
    case "${prev}" in
    '--project')
        return
        ;;
    '--workspace')
        return
        ;;
    '--server')
        return
        ;;
    '--actor')
        return
        ;;
    '--lines')
        return
        ;;
    esac
}

_kata_help() {
    repeating_flags=()
    non_repeating_flags=(--version)
    repeating_options=()
    non_repeating_options=()
    __kata_offer_flags_options -1
}

complete -o filenames -F _kata kata
