"""Chat backends behind one streaming interface (llm.base.ChatBackend), chosen by llm.factory.make_llm."""
