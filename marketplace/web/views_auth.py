"""Sign up, log in, log out. Login and logout are Django's views (login rotates the session)."""

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters

from marketplace.accounts.services import user_sign_up
from marketplace.core.errors import DomainError
from marketplace.core.pages import add_domain_error
from marketplace.helpers.access import SIGNUP_MARKET_SESSION_KEY
from marketplace.security.ratelimit import form_email, rate_limit
from marketplace.web.access import home_url_for
from marketplace.web.forms import EmailLoginForm, SignUpForm


@sensitive_post_parameters("password")
@rate_limit("signup_ip")
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_sign_up(**form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            if form.market is not None:
                # Asked once: the helper application starts with this country chosen.
                request.session[SIGNUP_MARKET_SESSION_KEY] = form.market.code
            if user.is_helper:
                return redirect("helper:apply")
            return redirect("customer:request")
    return render(request, "auth/signup.html", {"form": form})


class RoleHomeLoginView(auth_views.LoginView):
    """Django's login view; without a (safe) `next` each role lands on its own home page."""

    template_name = "auth/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return home_url_for(self.request.user)


login_view = rate_limit("login_ip")(
    rate_limit("login_email", key=form_email("username"))(RoleHomeLoginView.as_view())
)
logout_view = auth_views.LogoutView.as_view()
