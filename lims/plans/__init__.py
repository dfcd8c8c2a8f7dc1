"""The annual sampling plan, its months and tasks, built from population, varieties and risk."""
