"""The bank's competency vocabulary, as the competency-vocabulary lint rule is configured to read it."""

from __future__ import annotations

from qtool.config import Config


def competency_vocabulary(config: Config) -> tuple[str, ...]:
    """The names drafts must pick competencies from; empty when the rule is off or the bank has no list.

    Raises ConfigError (exit 2) for a rules table or vocabulary file that `qtool check` would refuse too.
    """
    from qtool.lint.config import rule_settings

    setting = rule_settings(config).get("competency-vocabulary")
    if setting is None or not setting.enabled:
        return ()
    from qtool.lint.rules.competency_vocabulary import read_vocabulary

    path = config.root / setting.options["vocabulary"]
    return tuple(read_vocabulary(path)) if path.is_file() else ()
