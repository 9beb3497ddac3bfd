"""What the Sở Nội vụ opens after each publication: an Excel workbook and a static HTML report."""

from parmetrics.reports.generate import ReportFiles, generate_reports

__all__ = ["ReportFiles", "generate_reports"]
