"""Every problem code qtool reports, described for machine-read reports (SARIF's rule list).

The lint rules come from the registry with this bank's levels; ``parse``, ``schema`` and
``id-path`` are the checks every file gets before the rules run.
"""

from __future__ import annotations

import os
import sys

from qtool.config import Config
from qtool.report import ReportContext, RuleInfo

#: The checks that are not lint rules: code -> (description, what to do about it).
BUILTIN = {
    "parse": ("the file reads as one YAML question: UTF-8, valid YAML 1.2, one document, no duplicate keys, anchors or tags",
              "Fix the file at the line and column given; `qtool fmt` cannot rewrite a file that does not load."),
    "schema": ("the file matches the question schema (schema/question.schema.json)",
               "Fix the key or value at the line and column given; the message names what the schema expects."),
    "id-path": ("the id equals the file's path under questions/ without .yaml",
                "Rename the file or fix the id: the id is the question's address in the bank."),
}


def report_context(config: Config | None = None) -> ReportContext:
    """What SARIF and GitLab reports name besides the problems: the rules with this bank's levels, and where
    the bank sits in its git repository."""
    from qtool.gitbase import repo_prefix

    return ReportContext(tuple(catalog(config)), os.getcwd(), repo_prefix())


def catalog(config: Config | None = None) -> list[RuleInfo]:
    """The built-in checks, then every lint rule in registry order, with its level in this bank ("none" when disabled)."""
    from qtool.lint.config import rule_settings

    out = [RuleInfo(code, description, description, f"{description}. {advice}", "error")
           for code, (description, advice) in BUILTIN.items()]
    for name, setting in rule_settings(config or Config()).items():
        rule = setting.rule
        doc = (sys.modules[type(rule).__module__].__doc__ or rule.description).strip()
        full = " ".join(doc.split("\n\n")[0].split())
        options = f"; options: {', '.join(rule.options)}" if rule.options else ""
        advice = (f"Configure it under [tool.qtool.rules.{name}] (enabled, severity{options}); silence one spot with "
                  f"`# qtool: disable={name}`. `qtool rules -v` shows this bank's settings.")
        level = setting.severity.value if setting.enabled else "none"
        out.append(RuleInfo(name, rule.description, full, f"{full}\n\n{advice}", level))
    return out
