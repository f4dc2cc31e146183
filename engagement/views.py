from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tenants.access import require_role
from tenants.models import Role
from tenants.services import DomainError

from .forms import ProgrammeForm
from .models import Programme
from .services import programme_create


@require_http_methods(["GET", "POST"])
def programme_list(request):
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST":
        require_role(request, Role.MANAGER)
        if form.is_valid():
            try:
                programme = programme_create(**form.cleaned_data)
            except DomainError as exc:
                for field, errors in exc.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("Programme “%(name)s” created.") % {
                    "name": programme.name})
                return redirect("programmes")
    return render(
        request,
        "engagement/programmes.html",
        {"programmes": Programme.objects.all(),
         "form": form if request.access.can_manage else None},
        status=400 if form.errors else 200,
    )
