"""Conclusions page (page 2): the answers, with their uncertainty, before the charts."""

from __future__ import annotations

from ..blocks import Bullets, Heading, Paragraph, Section
from ..data import ReportData
from ..findings import (
    ci_level,
    compression_findings,
    dropped_findings,
    fertility_findings,
    health_findings,
    premium_findings,
    skipped_findings,
    training_findings,
)
from .losses import loss_findings
from .probe import probe_findings
from .study import study_findings


def conclusions_page(d: ReportData) -> Section | None:
    """What the numbers say: cheapest tokenizer, largest premiums, best bits per byte."""
    section = Section("conclusions", "Conclusions",
                      subtitle=f"Written from the results below. Intervals are {ci_level(d)}s; differences whose "
                               "intervals overlap are reported as within the CI.")
    b = section.blocks
    comp = compression_findings(d)
    if comp:
        b += [Heading("Cost per byte of text"),
              Paragraph("More bytes per token means fewer tokens for the same text: less compute to train and "
                        "serve, and more text in the same context window.", muted=True),
              Bullets(comp)]
    prem, tables = premium_findings(d)
    if prem:
        b += [Heading("Which languages pay more"),
              Paragraph("A premium of 2× means a language needs twice as many tokens as the reference language "
                        "for the same content (parallel corpus): twice the cost and half the context.", muted=True),
              Bullets(prem)]
    train = training_findings(d)
    if train:
        b += [Heading("Model quality at equal compute"), Bullets(train)]
    study = study_findings(d)
    if study:
        b += [Heading("What a vocabulary size buys"), Bullets(study)]
    losses = loss_findings(d)
    if losses:
        b += [Heading("Does the ranking survive the training loss?"), Bullets(losses)]
    probe = probe_findings(d)
    if probe:
        b += [Heading("Arithmetic: the tokenizer or the loss?"), Bullets(probe)]
    other = fertility_findings(d) + health_findings(d) + dropped_findings(d) + skipped_findings(d)
    if other:
        b += [Heading("Also worth knowing"), Bullets(other)]
    # Tables last: the sentences above are the answer and should all fit on page 2.
    b += tables
    return section if b else None
