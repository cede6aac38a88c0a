"""(in progress)"""

urlpatterns: list = []
