'use strict';
// A commitment's party box asks the server only for the parties of the commitment's
// agreement: the agreement chosen in the box named by data-agreement-input, or the
// agreement of the page (data-agreement). Django's own autocomplete sends neither. A party
// chosen for one agreement is no party of another: changing the agreement empties the box.
{
    const $ = django.jQuery;

    function agreementOf(element) {
        const input = element.dataset.agreementInput;
        if (input) {
            const box = document.getElementById(input);
            return box ? box.value : '';
        }
        return element.dataset.agreement || '';
    }

    function partyAutocomplete(elements) {
        $.each(elements, function(i, element) {
            $(element).select2({
                ajax: {
                    data: (params) => ({
                        term: params.term,
                        page: params.page,
                        app_label: element.dataset.appLabel,
                        model_name: element.dataset.modelName,
                        field_name: element.dataset.fieldName,
                        agreement: agreementOf(element)
                    })
                }
            });
            const input = element.dataset.agreementInput;
            if (input) {
                $('#' + input).on('change', () => $(element).val(null).trigger('change'));
            }
        });
    }

    $(function() {
        partyAutocomplete($('.party-autocomplete').not('[name*=__prefix__]'));
    });

    document.addEventListener('formset:added', (event) => {
        partyAutocomplete($(event.target).find('.party-autocomplete'));
    });
}
