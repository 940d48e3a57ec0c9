"""The quality-status report (质量状况分析报告; seed 二(四)1, issue 12 §4).

``data.build`` gathers the report's sections, tables and chart specs for a division and a
period from the database (aggregated queries); ``charts`` draws the charts with matplotlib;
``render`` writes the same data as HTML, PDF (WeasyPrint) and an Excel workbook (openpyxl);
``jobs`` runs a requested report in the background with progress.
"""
