//! group-reviewer: audits every group daily and prints a summary.
