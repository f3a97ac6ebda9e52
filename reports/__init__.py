"""Report writers: the JSON result, JUnit XML and Allure results. Every writer redacts secrets first."""
