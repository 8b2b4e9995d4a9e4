"""Agent-framework adapters (install ``affidavit[frameworks]``); import the one you use:

- :mod:`affidavit.sdk.adapters.langgraph`: a LangChain callback handler that records
  model calls as steps, and a tool wrapper turning tool calls into proposals that
  wait for approval through LangGraph's ``interrupt``.
- :mod:`affidavit.sdk.adapters.openai_agents`: a tool input guardrail for the
  OpenAI Agents SDK that decides each function-tool call through a proposal.

Both talk to Affidavit through the SDK (HTTP and a token). To have the data policy
treat what the model receives, point the framework's model at ``affidavit gateway
model``. See docs/sdk.md.
"""

from __future__ import annotations

__all__: list[str] = []
