from celery import shared_task


@shared_task
def divide(x: float, y: float) -> float:
    """An example task: y == 0 ends in state FAILURE with ZeroDivisionError."""
    return x / y
