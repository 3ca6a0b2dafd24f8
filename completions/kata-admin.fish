function __kata-admin_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __kata-admin_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __kata-admin_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __kata-admin_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __kata-admin_parse_tokens -S
    set -l unparsed_tokens (__kata-admin_tokens -pc)
    switch $unparsed_tokens[1]
    case 'kata-admin'
        __kata-admin_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'config'
            __kata-admin_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'check'
                __kata-admin_parse_subcommand 0 'config=' 'listen=+' 'insecure-readonly' 'json' 'version' 'h/help'
            case 'show'
                __kata-admin_parse_subcommand 0 'config=' 'json' 'version' 'h/help'
            end
        case 'status'
            __kata-admin_parse_subcommand 0 'json' 'version' 'h/help'
        case 'tokens'
            __kata-admin_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'create'
                __kata-admin_parse_subcommand 0 'actor=' 'name=' 'role=' 'expires=' 'json' 'version' 'h/help'
            case 'list'
                __kata-admin_parse_subcommand 0 'json' 'version' 'h/help'
            case 'revoke'
                __kata-admin_parse_subcommand 1 'json' 'version' 'h/help'
            end
        case 'users'
            __kata-admin_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'create'
                __kata-admin_parse_subcommand 1 'role=' 'display-name=' 'password-stdin' 'json' 'version' 'h/help'
            case 'list'
                __kata-admin_parse_subcommand 0 'json' 'version' 'h/help'
            case 'set-role'
                __kata-admin_parse_subcommand 2 'json' 'version' 'h/help'
            case 'disable'
                __kata-admin_parse_subcommand 1 'json' 'version' 'h/help'
            case 'enable'
                __kata-admin_parse_subcommand 1 'json' 'version' 'h/help'
            case 'passwd'
                __kata-admin_parse_subcommand 1 'password-stdin' 'json' 'version' 'h/help'
            end
        case 'backup'
            __kata-admin_parse_subcommand 0 'out=' 'force' 'json' 'version' 'h/help'
        case 'restore'
            __kata-admin_parse_subcommand 1 'json' 'version' 'h/help'
        case 'help'
            __kata-admin_parse_subcommand -r 1 'version'
        end
    end
end

function __kata-admin_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __kata-admin_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __kata-admin_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __kata-admin_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__kata-admin_tokens -p)
    if test -z "$(__kata-admin_tokens -t)"
        set -l index (count (__kata-admin_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'kata-admin' -f
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin" -eq 1' -fa 'config' -d 'Check or show the daemon\'s configuration.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin" -eq 1' -fa 'status' -d 'Report the daemon of this KATA_HOME through its admin socket; exit 7 when it does not answer.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin" -eq 1' -fa 'tokens' -d 'Mint, list and revoke identity tokens through the admin socket.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin" -eq 1' -fa 'users' -d 'Create and manage users (name, role, password) through the admin socket.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin" -eq 1' -fa 'backup' -d 'Write an online, consistent backup of the database (0600) while the daemon keeps serving.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin" -eq 1' -fa 'restore' -d 'Replace the database with a backup (the daemon must be stopped).'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin config" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin config" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin config" -eq 1' -fa 'check' -d 'Apply katad\'s start-up rules offline; exit 0 when valid, 3 when not, every problem listed with its key.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin config" -eq 1' -fa 'show' -d 'Show the merged effective configuration (file, environment), secrets redacted.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin config check" config' -l 'config' -d 'The file to check (default: <KATA_HOME>/config.toml).' -rfka ''
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin config check"' -l 'listen' -d 'Listener address as katad would get it (repeatable; replaces the configured list).' -rfka ''
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin config check" insecure-readonly' -l 'insecure-readonly' -d 'Check as if katad ran with --insecure-readonly.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin config check" json' -l 'json' -d 'Print the result as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin config check" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin config check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin config show" config' -l 'config' -d 'The file (default: <KATA_HOME>/config.toml).' -rfka ''
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin config show" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin config show" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin config show" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin status" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin status" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin tokens" -eq 1' -fa 'create' -d 'Mint a token; its secret is printed once.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin tokens" -eq 1' -fa 'list' -d 'List tokens (never their secrets).'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin tokens" -eq 1' -fa 'revoke' -d 'Revoke a token by id.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens create" actor' -l 'actor' -d 'The actor the token writes as.' -rfka ''
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens create" name' -l 'name' -d 'A label, unique per actor.' -rfka ''
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens create" role' -l 'role' -d 'viewer, user (default), operator or admin.' -rfka ''
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens create" expires' -l 'expires' -d 'Lifetime, like 90s, 12h, 30d.' -rfka ''
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens create" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens create" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens create" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens list" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens list" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens revoke" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens revoke" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin tokens revoke" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin users" -eq 1' -fa 'create' -d 'Create a user, with a password from standard input or a prompt (none when neither).'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin users" -eq 1' -fa 'list' -d 'List users (never their passwords).'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin users" -eq 1' -fa 'set-role' -d 'Change a user\'s role; their tokens are capped at the new role at once.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin users" -eq 1' -fa 'disable' -d 'Disable a user: logins fail, and every token and session of theirs is revoked at once.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin users" -eq 1' -fa 'enable' -d 'Enable a disabled user again (tokens revoked by the disable stay revoked).'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_positional "kata-admin users" -eq 1' -fa 'passwd' -d 'Set a user\'s password, from standard input or a prompt.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users create" role' -l 'role' -d 'viewer, user (default), operator or admin.' -rfka ''
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users create" display-name' -l 'display-name' -d 'A name for people, like "Alice Liddell".' -rfka ''
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users create" password-stdin' -l 'password-stdin' -d 'Read the password from standard input (one trailing newline is dropped).'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users create" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users create" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users create" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users list" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users list" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users set-role" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users set-role" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users set-role" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users disable" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users disable" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users disable" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users enable" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users enable" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users enable" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users passwd" password-stdin' -l 'password-stdin' -d 'Read the password from standard input (one trailing newline is dropped).'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users passwd" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users passwd" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin users passwd" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin backup" out' -l 'out' -d 'The backup file to write.' -rfka ''
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin backup" force' -l 'force' -d 'Replace the file when it exists.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin backup" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin backup" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin backup" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin restore" json' -l 'json' -d 'Print as JSON.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin restore" version' -l 'version' -d 'Show the version.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin restore" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'kata-admin' -n '__kata-admin_should_offer_completions_for_flags_or_options "kata-admin help" version' -l 'version' -d 'Show the version.'
