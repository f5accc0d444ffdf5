"""The ward's statistics report: figures from `bot.stats`, small cells suppressed, rendered as
DOCX (Vietnamese administrative layout), XLSX (one sheet per table), CSV or Markdown."""
