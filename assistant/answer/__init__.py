"""Answering: the chain (a LangChain Runnable) that analyses a question, retrieves, and answers offline
or with an LLM, every claim cited; the request it accepts and the interface it offers."""
