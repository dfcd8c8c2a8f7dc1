"""Businesses behind the samples: 被抽样单位 and 生产者 as reference records."""
