"""Optional adapter: run Microsoft Presidio's pattern recognizers as an Affidavit detector.

For users who install ``presidio-analyzer``; nothing here imports it until
:func:`presidio_detector` is called. Presidio runs with its ``no_op`` NLP engine, so no
spaCy model is needed or downloaded, and only its pattern-based recognizers take part.
Its findings get kinds named ``presidio_<entity>`` (``presidio_email_address``) so they
never clash with the built-in kinds; overlaps are resolved like any other findings.

    scanner = Scanner(detectors=[*load_detectors(), presidio_detector()])
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from typing import Any

from affidavit.errors import ConfigError
from affidavit.protect.config import ScanConfig
from affidavit.protect.detector import CustomFind, Detector, Kind
from affidavit.protect.finding import DataClass

__all__ = ["presidio_detector"]

_FINANCIAL = {"CREDIT_CARD", "IBAN_CODE", "US_BANK_NUMBER", "CRYPTO"}
_INTERNAL = {"IP_ADDRESS", "MAC_ADDRESS"}
# URLs are mostly public and not sensitive by themselves; callers may still ask for them.
_SKIPPED_BY_DEFAULT = {"URL", "DATE_TIME"}
# Below every built-in kind: a built-in finding on the same text wins.
_PRIORITY = 10


def presidio_detector(
    *,
    entities: Sequence[str] | None = None,
    language: str = "en",
    score_threshold: float = 0.5,
    name: str = "presidio",
) -> Detector:
    """A detector running Presidio's regex recognizers (``no_op`` NLP engine).

    Raises ConfigError when ``presidio-analyzer`` is not installed or an entity is unknown.
    """
    analyzer = _analyzer(language)
    supported = sorted(analyzer.get_supported_entities(language=language))
    chosen = (
        [e for e in supported if e not in _SKIPPED_BY_DEFAULT]
        if entities is None
        else list(entities)
    )
    unknown = sorted(set(chosen) - set(supported))
    if unknown:
        raise ConfigError(
            f"Presidio has no pattern recognizer for {', '.join(unknown)} in {language!r}; "
            f"choose from {', '.join(supported)}."
        )
    kinds = tuple(Kind(_kind(e), _data_class(e), _PRIORITY) for e in chosen)

    def build(config: ScanConfig) -> CustomFind:
        def find(text: str) -> Iterable[tuple[str, int, int]]:
            results = analyzer.analyze(
                text=text, language=language, entities=chosen, score_threshold=score_threshold
            )
            return [(_kind(r.entity_type), r.start, r.end) for r in results if r.start < r.end]

        return find

    return Detector(name=name, kinds=kinds, find=build)


def _analyzer(language: str) -> Any:
    try:  # imported by name: an optional dependency, without type information
        analyzer_module = importlib.import_module("presidio_analyzer")
        nlp_module = importlib.import_module("presidio_analyzer.nlp_engine")
    except ImportError:
        raise ConfigError(
            "The Presidio adapter needs presidio-analyzer; install it with "
            "`pip install presidio-analyzer` (no spaCy model is needed)."
        ) from None
    provider = nlp_module.NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "no_op",
            "models": [{"lang_code": language, "model_name": "no_op"}],
        }
    )
    nlp_engine = provider.create_engine()
    registry = analyzer_module.RecognizerRegistry(supported_languages=[language])
    registry.load_predefined_recognizers(nlp_engine=nlp_engine, languages=[language])
    return analyzer_module.AnalyzerEngine(
        nlp_engine=nlp_engine, registry=registry, supported_languages=[language]
    )


def _kind(entity: str) -> str:
    return "presidio_" + entity.lower()


def _data_class(entity: str) -> DataClass:
    if entity in _FINANCIAL:
        return DataClass.FINANCIAL
    if entity in _INTERNAL:
        return DataClass.INTERNAL_IDENTIFIER
    return DataClass.PII
