"""Pure domain logic on answers and facts: obligations, assessment, documents, delivery."""
