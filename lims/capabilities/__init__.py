"""What each lab can test (test items, methods, LOD/LOQ, CMA scope) and routing by capability."""
