"""What decides which samples a run asks for and keeps: the plan, the planner, filters, dedup."""
