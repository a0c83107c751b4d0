"""Strategy recommendations: diagnosis facts -> the documents' strategies, by a rule file."""
