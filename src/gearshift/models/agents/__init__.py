"""Providers that are programs: the agent CLIs people already use, any command, and a person.

- ``codex``, ``claude-code``, ``gemini-cli``: the agent reads the repository itself (plan and
  review run it read-only in the checkout) and, in implement, edits the run's checkout; gearshift
  then inspects what it changed (gearshift.agent_changes) before the checks run.
- ``command``: any program, the prompt on stdin and the reply on stdout.
- ``manual``: each prompt written to a file, the reply pasted or saved by a person.

Each is made through the registry like any provider; base.AgentCLI holds what the three agent
CLIs share, process.run_program runs a program bounded in time and output.
"""
